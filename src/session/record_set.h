// RecordSet is what one side brings to a job: the records read from its
// input (kept to report matched rows as they appeared), the distinct match
// keys the protocol runs on, and which key each record has. Duplicates in the
// input are matched once per canonical value, and every matching row is
// reported.
#ifndef LIAISON_SESSION_RECORD_SET_H_
#define LIAISON_SESSION_RECORD_SET_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "data/input.h"
#include "data/profile.h"

namespace liaison::session {

struct RecordSet {
  std::vector<data::Record> records;
  std::vector<std::string> keys;      // distinct data::MatchKey values
  std::vector<uint32_t> record_key;   // records[i] has keys[record_key[i]]
  // key_values[k] is the sum of the values of every record with key k, when
  // the input spec names a value column or field (else empty). The sum
  // saturates at the int64 limits; since clamp bounds are int64 values,
  // clamping the saturated sum gives the same as clamping the exact one.
  std::vector<int64_t> key_values;
  uint64_t num_rejected = 0;

  // RecordsOfKeys returns the indices of the records whose key is one of
  // `key_indices`, in input order.
  std::vector<size_t> RecordsOfKeys(const std::vector<size_t>& key_indices) const;
};

// LoadRecordSet reads `spec` with `profile`, calling `on_reject` for each
// record that cannot be normalised. It returns InvalidArgument when the input
// holds no valid record ("a file with no valid record is an error, not an
// empty match"), and the reader's errors otherwise. With a value column or
// field, every record's value must be a whole number (ParseWholeNumber);
// anything else is InvalidArgument naming the line (amounts in cents, not
// "12.50").
//
// ParseWholeNumber accepts an optional '-' and decimal digits within int64,
// nothing else (no '+', spaces, decimal point, exponent or separators).
absl::StatusOr<int64_t> ParseWholeNumber(std::string_view text);

absl::StatusOr<RecordSet> LoadRecordSet(
    const data::InputSpec& spec, const data::Profile& profile,
    const std::function<void(const data::Reject&)>& on_reject);

}  // namespace liaison::session

#endif  // LIAISON_SESSION_RECORD_SET_H_
