// Addresses as the config and the command line write them: "host:port".
#ifndef LIAISON_NET_HOST_PORT_H_
#define LIAISON_NET_HOST_PORT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace liaison::net {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// ParseHostPort splits "host:port", "1.2.3.4:port" or "[v6 address]:port".
// The host is a DNS name, an IPv4 address or (in brackets) an IPv6 address;
// the port is decimal 0..65535. Anything else is InvalidArgument.
absl::StatusOr<HostPort> ParseHostPort(std::string_view s);

}  // namespace liaison::net

#endif  // LIAISON_NET_HOST_PORT_H_
