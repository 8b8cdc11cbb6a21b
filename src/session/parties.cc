#include "session/parties.h"

#include <cctype>
#include <fstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "base/bytes.h"
#include "base/escape.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "mpsi/mpsi.h"
#include "net/identity.h"

namespace liaison::session {
namespace {

// Shown quotes a field of the file in a message: escaped, and cut short.
std::string Shown(std::string_view field) { return EscapeNonPrintableTruncated(field, 80); }

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

absl::Status CheckName(std::string_view name) {
  if (name.size() > kMaxPartyNameLen) {
    return absl::InvalidArgumentError(StrCat("longer than ", kMaxPartyNameLen, " characters"));
  }
  if (std::isalnum(static_cast<unsigned char>(name.front())) == 0) {
    return absl::InvalidArgumentError("a name starts with a letter or a digit");
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return absl::InvalidArgumentError("a name holds only letters, digits, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Fields splits a line (its comment removed) at spaces and tabs.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Party>> ParseParties(std::string_view text, std::string_view source) {
  if (text.size() > kMaxPartiesFileLen) {
    return absl::InvalidArgumentError(StrCat(source, " is over ", kMaxPartiesFileLen / 1024,
                                             " KiB; not a parties file"));
  }
  if (text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat(source, " holds a NUL byte; not a parties file"));
  }
  std::vector<Party> parties;
  // First line of each name, address and fingerprint, for duplicates.
  absl::flat_hash_map<std::string, int> names, addresses, fingerprints;
  int line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<std::string_view> fields = Fields(line);
    if (fields.empty()) continue;
    auto error = [&](std::string_view what) {
      return absl::InvalidArgumentError(StrCat(source, " line ", line_no, ": ", what));
    };
    if (fields.size() != 3) {
      return error(StrCat("expected NAME HOST:PORT sha256:FINGERPRINT, found ", fields.size(),
                          fields.size() == 1 ? " field" : " fields"));
    }
    Party p;
    p.line = line_no;
    p.name = std::string(fields[0]);
    if (absl::Status s = CheckName(p.name); !s.ok()) {
      return error(StrCat("bad name '", Shown(p.name), "': ", std::string(s.message())));
    }
    p.address = std::string(fields[1]);
    absl::StatusOr<net::HostPort> hp = net::ParseHostPort(p.address);
    if (!hp.ok()) {
      return error(StrCat("bad address '", Shown(p.address), "' of ", p.name, ": ",
                          std::string(hp.status().message())));
    }
    if (hp->port == 0) {
      return error(StrCat("bad address '", Shown(p.address), "' of ", p.name,
                          ": port 0 cannot be dialled"));
    }
    p.host_port = *std::move(hp);
    if (Lower(fields[2].substr(0, 7)) != net::kFingerprintPrefix) {
      return error(StrCat("bad fingerprint '", Shown(fields[2]), "' of ", p.name,
                          ": it starts with sha256: (as `liaison fingerprint` prints it)"));
    }
    absl::StatusOr<std::string> fp = net::NormalizeFingerprint(fields[2]);
    if (!fp.ok()) {
      return error(StrCat("bad fingerprint '", Shown(fields[2]), "' of ", p.name, ": ",
                          std::string(fp.status().message())));
    }
    p.fingerprint = *std::move(fp);
    auto duplicate = [&](absl::flat_hash_map<std::string, int>& seen, const std::string& key,
                         std::string_view what) -> absl::Status {
      auto [it, inserted] = seen.try_emplace(key, line_no);
      if (inserted) return absl::OkStatus();
      return error(StrCat("duplicate ", what, " '", Shown(key), "' (already on line ",
                          it->second, ")"));
    };
    LIAISON_RETURN_IF_ERROR(duplicate(names, p.name, "name"));
    LIAISON_RETURN_IF_ERROR(duplicate(
        addresses, StrCat(Lower(p.host_port.host), "|", p.host_port.port), "address"));
    LIAISON_RETURN_IF_ERROR(duplicate(fingerprints, p.fingerprint, "fingerprint"));
    if (parties.size() == static_cast<size_t>(mpsi::kMaxParties)) {
      return error(StrCat("more than ", mpsi::kMaxParties, " members"));
    }
    parties.push_back(std::move(p));
  }
  if (parties.size() < 2) {
    return absl::InvalidArgumentError(StrCat(source, " lists ", parties.size(),
                                             parties.size() == 1 ? " member" : " members",
                                             "; a job needs at least 2"));
  }
  return parties;
}

absl::StatusOr<std::vector<Party>> LoadParties(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(StrCat("cannot open the parties file ", path));
  std::string text;
  char buf[8192];
  while (f.read(buf, sizeof(buf)) || f.gcount() > 0) {
    text.append(buf, static_cast<size_t>(f.gcount()));
    if (text.size() > kMaxPartiesFileLen) break;  // ParseParties says why
  }
  if (f.bad()) return absl::InternalError(StrCat("cannot read the parties file ", path));
  return ParseParties(text, path);
}

absl::StatusOr<int> FindMe(absl::Span<const Party> parties, std::string_view me,
                           std::string_view my_fingerprint) {
  for (size_t i = 0; i < parties.size(); ++i) {
    if (parties[i].name != me) continue;
    if (parties[i].fingerprint != my_fingerprint) {
      return absl::InvalidArgumentError(
          StrCat("the parties file pins ", parties[i].fingerprint, " for ", Shown(me),
                 " (line ", parties[i].line, "), but our identity's key is ", my_fingerprint,
                 ": the other members would refuse us"));
    }
    return static_cast<int>(i);
  }
  std::vector<std::string> names;
  for (const Party& p : parties) names.push_back(p.name);
  return absl::InvalidArgumentError(StrCat("'", Shown(me),
                                           "' is not a member of the parties file (members: ",
                                           StrJoin(names, ", "), ")"));
}

std::string PartiesDigest(absl::Span<const Party> parties) {
  ByteWriter w;
  w.String("liaison parties v1");
  w.U32(static_cast<uint32_t>(parties.size()));
  for (const Party& p : parties) {
    w.String(p.name);
    w.String(p.fingerprint);
  }
  return StrCat(net::kFingerprintPrefix, ToHex(crypto::Sha256(w.bytes())));
}

}  // namespace liaison::session
