// The members of an n-party job as a parties file lists them, one member a
// line:
//
//   # name   address          key fingerprint
//   alpha    10.0.0.1:7400    sha256:3f1c…
//   bravo    [2001:db8::2]:7400 sha256:9a0e…
//
// Every member uses the same file. A member's party index is the order of
// its line among the members, so the first member is party 0, the leader of
// the quorum protocol (docs/protocols/quorum.md, section 4). Blank lines
// are skipped and '#' starts a comment that runs to the end of the line.
//
// Fields are separated by spaces or tabs:
//   NAME         1 to kMaxPartyNameLen characters of [A-Za-z0-9._-],
//                starting with a letter or a digit;
//   HOST:PORT    as net::ParseHostPort reads it, the port not 0;
//   FINGERPRINT  the member's key, "sha256:" and 64 hex digits (as
//                `liaison fingerprint` prints it; any case).
#ifndef LIAISON_SESSION_PARTIES_H_
#define LIAISON_SESSION_PARTIES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "net/host_port.h"

namespace liaison::session {

inline constexpr size_t kMaxPartyNameLen = 64;
// kMaxPartiesFileLen bounds the file: a few lines per member at most.
inline constexpr size_t kMaxPartiesFileLen = 64 * 1024;

// Party is one member of the job.
struct Party {
  std::string name;
  std::string address;    // the HOST:PORT field as written
  net::HostPort host_port;
  std::string fingerprint;  // canonical: "sha256:" and 64 lower-case hex digits
  int line = 0;             // where the file lists it, from 1
};

// ParseParties reads the text of a parties file; `source` names it in
// messages. It returns the members in file order. Every error is
// InvalidArgument and names the source, the line and the field at fault:
// "parties.txt line 4: bad fingerprint 'sha256:12': ..."; a duplicate name,
// address (host compared without case) or fingerprint names both lines.
// Fewer than 2 or more than mpsi::kMaxParties members is InvalidArgument
// too, as is a text longer than kMaxPartiesFileLen or holding a NUL byte.
absl::StatusOr<std::vector<Party>> ParseParties(std::string_view text, std::string_view source);

// LoadParties reads and parses the file at `path` (NotFound if it is
// missing, as the file system says otherwise; then ParseParties' errors,
// with `path` as the source).
absl::StatusOr<std::vector<Party>> LoadParties(const std::string& path);

// FindMe returns the index of the member called `me`, after checking that
// the file pins `my_fingerprint` (the key of the identity we run with) for
// it: InvalidArgument when no member has that name, or when its
// fingerprint is another key (both named, and the line), since the other
// members would refuse us.
absl::StatusOr<int> FindMe(absl::Span<const Party> parties, std::string_view me,
                           std::string_view my_fingerprint);

// PartiesDigest is "sha256:" and the lower-case hex SHA-256 of the ordered
// list of the members' names and fingerprints (length-prefixed, so that no
// two lists encode alike). Members compare it before a job: equal digests
// mean the same members in the same order, so the same party indices.
// Addresses are not part of it: one member may reach another under a name
// or address of its own (a NAT, a private DNS view), and the pinned keys
// already say who is at the other end.
std::string PartiesDigest(absl::Span<const Party> parties);

}  // namespace liaison::session

#endif  // LIAISON_SESSION_PARTIES_H_
