// What every participant of a quorum job does once it goes
// (Daemon::QuorumRun, daemon_internal.h): the rest of the mesh, the run,
// the receipts and the stored outcome.
#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/build_info.h"
#include "base/bytes.h"
#include "base/status.h"
#include "base/strings.h"
#include "crypto/prng.h"
#include "net/host_port.h"
#include "net/tls_channel.h"
#include "node/internal/daemon_internal.h"
#include "node/internal/util.h"
#include "session/parties.h"
#include "session/quorum_job.h"

namespace liaison::node {
namespace {

using Json = nlohmann::json;
using internal::NodeProfile;

// PartiesOf is the offer's participants as the session names them: the
// initiator's names and the pinned keys (the addresses are not used).
std::vector<session::Party> PartiesOf(const QuorumOffer& offer) {
  std::vector<session::Party> parties;
  for (const QuorumMember& m : offer.participants) {
    session::Party p;
    p.name = m.name;
    p.fingerprint = m.fingerprint;
    parties.push_back(std::move(p));
  }
  return parties;
}

// QuorumContent is the canonical form of a quorum result for its
// commitment: "quorum-v1\n", then for every qualifying match key in sorted
// order its u32 big-endian length, its bytes and the u32 big-endian number
// of holders (0 when hidden).
std::string QuorumContent(const session::RecordSet& set, const session::QuorumJobResult& r) {
  std::vector<std::pair<std::string_view, uint32_t>> keys;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    keys.emplace_back(set.keys[set.record_key[r.rows[i]]], r.holders[i]);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::string out = "quorum-v1\n";
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (24 - 8 * i)));
  };
  for (const auto& [key, holders] : keys) {
    u32(static_cast<uint32_t>(key.size()));
    out += key;
    u32(holders);
  }
  return out;
}

}  // namespace

std::shared_ptr<Daemon::MeshSlot> Daemon::QuorumRun::OpenSlot(Daemon& d, const QuorumOffer& offer,
                                                              uint32_t me) {
  auto slot = std::make_shared<MeshSlot>();
  slot->job_id = offer.job_id;
  const size_t n = offer.participants.size();
  slot->expected.assign(n, false);
  slot->joined.assign(n, nullptr);
  for (size_t k = 0; k < n; ++k) {
    slot->fingerprints.push_back(offer.participants[k].fingerprint);
    slot->expected[k] = k > me && k != offer.initiator;
  }
  std::lock_guard<std::mutex> lock(d.mu_);
  d.meshes_[offer.job_id] = slot;
  return slot;
}

void Daemon::QuorumRun::CloseSlot(Daemon& d, const std::shared_ptr<MeshSlot>& slot) {
  if (slot == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(slot->mu);
    slot->done = true;
    for (TranscriptChannel* c : slot->joined) {
      if (c != nullptr) c->Close();
    }
  }
  slot->cv.notify_all();
  std::lock_guard<std::mutex> lock(d.mu_);
  auto it = d.meshes_.find(slot->job_id);
  if (it != d.meshes_.end() && it->second == slot) d.meshes_.erase(it);
}

absl::Status Daemon::QuorumRun::Run(Daemon& d, const Job& job, const QuorumOffer& offer,
                                    const QuorumSizes& sizes, uint32_t me,
                                    const LoadedDataset& data, const AllianceConfig& alliance,
                                    const std::vector<const PeerConfig*>& peers,
                                    std::vector<TranscriptChannel*> channels,
                                    const std::shared_ptr<MeshSlot>& slot) {
  const size_t n = offer.participants.size();
  const std::vector<session::Party> parties = PartiesOf(offer);
  // The rest of the mesh: we dial every participant before us (but the
  // initiator, whose channel we have), with a join first; the participants
  // after us dial us (ServeJoin puts their channels in our slot).
  std::vector<std::unique_ptr<net::Channel>> dialed_raw;
  std::vector<std::unique_ptr<TranscriptChannel>> dialed;
  auto close_all = [&] {
    for (TranscriptChannel* c : channels) {
      if (c != nullptr) c->Close();
    }
  };
  for (uint32_t k = 0; k < me; ++k) {
    if (channels[k] != nullptr) continue;
    const PeerConfig& peer = *peers[k];
    absl::StatusOr<net::HostPort> hp = net::ParseHostPort(peer.address);
    if (!hp.ok()) return hp.status();
    net::TlsOptions tls;
    tls.identity = &d.identity_;
    tls.peer_fingerprint = peer.fingerprint;
    tls.connect_timeout = absl::Seconds(d.config_.node.peer_connect_timeout_seconds);
    tls.io_timeout = d.options_.peer_io_timeout;
    absl::StatusOr<std::unique_ptr<net::Channel>> ch = net::TlsConnect(hp->host, hp->port, tls);
    if (!ch.ok()) {
      close_all();
      return absl::UnavailableError(StrCat("participant ", parties[k].name, " (", peer.address,
                                           "): ", std::string(ch.status().message())));
    }
    dialed_raw.push_back(*std::move(ch));
    dialed.push_back(std::make_unique<TranscriptChannel>(*dialed_raw.back(), /*initiator=*/true));
    channels[k] = dialed.back().get();
    absl::Status joined = SendJoin(*channels[k], offer.job_id, me);
    if (!joined.ok()) {
      close_all();
      return joined;
    }
  }
  if (slot != nullptr) {
    std::unique_lock<std::mutex> lock(slot->mu);
    const bool all = slot->cv.wait_for(
        lock, absl::ToChronoSeconds(d.options_.peer_io_timeout), [&] {
          for (size_t k = 0; k < n; ++k) {
            if (slot->expected[k] && slot->joined[k] == nullptr) return false;
          }
          return true;
        });
    if (!all) {
      std::string missing;
      for (size_t k = 0; k < n; ++k) {
        if (slot->expected[k] && slot->joined[k] == nullptr) {
          missing += (missing.empty() ? "" : ", ") + parties[k].name;
        }
      }
      lock.unlock();
      close_all();
      return absl::DeadlineExceededError(StrCat("participants ", missing, " did not join"));
    }
    for (size_t k = 0; k < n; ++k) {
      if (slot->expected[k]) channels[k] = slot->joined[k];
    }
  }

  session::QuorumJobParams params;
  params.threshold = static_cast<int>(offer.threshold);
  params.show_count = !offer.hide_count;
  params.profile = &NodeProfile();
  params.max_peer_set_size = alliance.max_set_size;
  params.expected_set_sizes = sizes.set_sizes;
  std::vector<net::Channel*> mesh(n, nullptr);
  for (size_t k = 0; k < n; ++k) mesh[k] = channels[k];
  crypto::Prng prng = crypto::Prng::FromOsEntropy();
  LIAISON_ASSIGN_OR_RETURN(
      session::QuorumJobResult result,
      session::RunQuorumJob(mesh, static_cast<int>(me), parties, params, data.set, prng));

  // The receipts: each participant signs (job, params, its channels'
  // transcript hashes, its own result commitment) and every other checks
  // the signature, the parameters and the hash of their common channel.
  std::vector<std::string> hashes(n);
  for (size_t k = 0; k < n; ++k) {
    if (k != me) hashes[k] = channels[k]->Seal();
  }
  LIAISON_ASSIGN_OR_RETURN(const std::string salt_hex, internal::RandomHex(32));
  LIAISON_ASSIGN_OR_RETURN(const Bytes salt, FromHex(salt_hex));
  const std::string commitment = ResultCommitment(salt, QuorumContent(data.set, result));
  LIAISON_ASSIGN_OR_RETURN(const std::string params_digest,
                           ParamsDigest(QuorumParamsJson(offer, sizes)));
  const std::string transcript = QuorumTranscriptHash(hashes);
  LIAISON_ASSIGN_OR_RETURN(
      Receipt mine, SignReceipt(d.identity_, offer.job_id, params_digest, transcript, commitment));
  for (size_t k = 0; k < n; ++k) {
    if (k == me) continue;
    absl::Status sent = SendQuorumReceipt(*channels[k], mine, hashes);
    if (!sent.ok()) {
      close_all();
      return sent;
    }
  }
  std::vector<QuorumReceiptOf> theirs;
  for (uint32_t k = 0; k < n; ++k) {
    if (k == me) continue;
    absl::StatusOr<QuorumReceiptOf> got =
        RecvQuorumReceipt(*channels[k], n, k, me, offer.participants[k].fingerprint,
                          offer.job_id, params_digest, hashes[k]);
    if (!got.ok()) {
      close_all();
      return absl::Status(got.status().code(), StrCat("participant ", parties[k].name, ": ",
                                                      std::string(got.status().message())));
    }
    theirs.push_back(*std::move(got));
  }
  close_all();

  // The outcome: our qualifying rows, with their holders.
  Json rows = Json::array();
  for (size_t i = 0; i < result.rows.size(); ++i) {
    const data::Record& r = data.set.records[result.rows[i]];
    Json row{{"line", r.line}, {"type", data::TypeName(r.item.type)}, {"value", r.item.value}};
    if (!offer.hide_count) row["holders"] = result.holders[i];
    rows.push_back(std::move(row));
  }
  Json names = Json::array();
  for (const QuorumMember& m : offer.participants) names.push_back(m.name);
  JobResult stored;
  stored.job_id = job.id;
  stored.kind = "quorum-v1";
  stored.digest = commitment;
  stored.num_rows = static_cast<int64_t>(result.rows.size());
  stored.body = Json{{"job_id", job.id},
                     {"kind", "quorum-v1"},
                     {"dataset", data.info.name},
                     {"participants", std::move(names)},
                     {"threshold", result.threshold},
                     {"hide_count", offer.hide_count},
                     {"num_qualifying", result.num_qualifying},
                     {"num_rows", result.rows.size()},
                     {"rows", std::move(rows)},
                     {"commitment", Json{{"digest", commitment}, {"salt", salt_hex}}},
                     {"result_digest", commitment}}
                    .dump();
  uint64_t peer_items = 0;
  for (size_t k = 0; k < n; ++k) {
    if (k != me) peer_items += sizes.set_sizes[k];
  }
  AuditContent extra;
  extra.dataset_digests = {data.info.digest};
  extra.profile_digest = NodeProfile().digest();
  extra.transcript_hash = transcript;
  extra.result_digest = commitment;
  extra.counts = {{"items", static_cast<int64_t>(data.info.num_distinct)},
                  {"peer_items", static_cast<int64_t>(peer_items)},
                  {"participants", static_cast<int64_t>(n)},
                  {"threshold", static_cast<int64_t>(result.threshold)},
                  {"qualifying", static_cast<int64_t>(result.num_qualifying)},
                  {"matched_rows", static_cast<int64_t>(result.rows.size())},
                  {"bytes_sent", static_cast<int64_t>(result.bytes_sent)},
                  {"bytes_received", static_cast<int64_t>(result.bytes_received)}};
  LIAISON_ASSIGN_OR_RETURN(Job done,
                           d.store_->FinishJob(stored, d.ObserverHook(extra.counts, commitment)));
  d.Notify(done);
  d.Record(AuditKind::kJobSucceeded, done, job.actor, &extra);
  for (const QuorumReceiptOf& r : theirs) {
    AuditContent receipt;
    receipt.receipt = r.receipt;
    receipt.transcript_hash = r.receipt.transcript_hash;
    receipt.result_digest = r.receipt.result_digest;
    d.Record(AuditKind::kReceipt, done, ActorForPeer(r.receipt.peer_fingerprint), &receipt);
  }
  return absl::OkStatus();
}

}  // namespace liaison::node
