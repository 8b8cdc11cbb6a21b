// A node's home directory: everything one liaison node keeps.
//
//   DIR/              mode 0700
//     node.key        Ed25519 identity key (0600)       net/identity.h
//     node.crt        its self-signed certificate       net/identity.h
//     liaison.toml    the configuration (0600)          node/config.h
//     node.db         the SQLite store (0600, + -wal and -shm files)
//
// docs/node.md describes it for administrators.
#ifndef LIAISON_NODE_HOME_H_
#define LIAISON_NODE_HOME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison::node {

struct InitOptions {
  // name is the node's name in the config; empty uses the directory's base
  // name when that is a valid name, "liaison-node" otherwise.
  std::string name;
};

struct InitResult {
  std::string fingerprint;  // of the new identity
  std::string config_path;
  std::string store_path;
};

// InitHome creates a new node in `dir`: the directory (and missing parents)
// with mode 0700, the identity, a commented liaison.toml that loads as is,
// and the store with its schema and a first audit record
// ("node_initialized", actor "cli", signed by the new key). Files are written
// atomically. AlreadyExists if `dir` already holds any of node.key,
// node.crt, liaison.toml or node.db (nothing is changed then);
// InvalidArgument for an invalid name.
absl::StatusOr<InitResult> InitHome(const std::string& dir, const InitOptions& options);

// ConfigTemplate returns the liaison.toml that InitHome writes for a node
// called `name`: a working [node] section, and commented-out examples of a
// peer, datasets, an alliance, a schedule and a webhook whose lines
// ("#key = value") can be uncommented as they are. Every key is explained.
std::string ConfigTemplate(std::string_view name);

// HomePath returns dir/name.
std::string HomePath(const std::string& dir, std::string_view name);

}  // namespace liaison::node

#endif  // LIAISON_NODE_HOME_H_
