// JSON for people and scripts: the Protobuf JSON mapping with the proto's
// field names, and PCR maps flattened to what tools print elsewhere:
//   "pcrs": {"sha256": {"0": "hex", "7": "hex"}}
// (the proto needs a PcrMap wrapper, {"sha256": {"values": {...}}}, since
// proto3 has no map of maps).
#ifndef VTPM_COMMON_PROTO_JSON_H_
#define VTPM_COMMON_PROTO_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"

namespace vtpm {

struct JsonOptions {
  bool always_print_primitive_fields = false;
};

// `message` as a JSON value with every "pcrs" object flattened as above.
absl::StatusOr<google::protobuf::Value> ToJsonValue(
    const google::protobuf::Message& message, const JsonOptions& options = {});

// One line of JSON text for a value.
absl::StatusOr<std::string> JsonValueToString(
    const google::protobuf::Value& value);

// ToJsonValue then JsonValueToString.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message,
                                   const JsonOptions& options = {});

}  // namespace vtpm

#endif  // VTPM_COMMON_PROTO_JSON_H_
