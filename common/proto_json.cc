#include "common/proto_json.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace vtpm {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// {"bank": {"values": {...}}} -> {"bank": {...}} when every entry has that
// shape; anything else is left alone.
void FlattenPcrs(Value* pcrs) {
  if (!pcrs->has_struct_value()) return;
  auto* banks = pcrs->mutable_struct_value()->mutable_fields();
  for (const auto& [bank, v] : *banks) {
    if (!v.has_struct_value() || v.struct_value().fields_size() != 1 ||
        !v.struct_value().fields().contains("values")) {
      return;
    }
  }
  for (auto& [bank, v] : *banks) {
    Value inner = v.struct_value().fields().at("values");
    v = std::move(inner);
  }
}

void Walk(Value* v) {
  if (v->has_struct_value()) {
    for (auto& [key, child] : *v->mutable_struct_value()->mutable_fields()) {
      if (key == "pcrs") FlattenPcrs(&child);
      Walk(&child);
    }
  } else if (v->has_list_value()) {
    for (auto& child : *v->mutable_list_value()->mutable_values()) {
      Walk(&child);
    }
  }
}

}  // namespace

absl::StatusOr<Value> ToJsonValue(const google::protobuf::Message& message,
                                  const JsonOptions& options) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = options.always_print_primitive_fields;
  std::string raw;
  auto st = google::protobuf::util::MessageToJsonString(message, &raw, print);
  if (!st.ok()) {
    return absl::InternalError(absl::StrCat("to JSON: ", st.ToString()));
  }
  Value value;
  st = google::protobuf::util::JsonStringToMessage(raw, &value);
  if (!st.ok()) {
    return absl::InternalError(absl::StrCat("JSON re-parse: ", st.ToString()));
  }
  Walk(&value);
  return value;
}

absl::StatusOr<std::string> JsonValueToString(const Value& value) {
  std::string out;
  auto st = google::protobuf::util::MessageToJsonString(value, &out);
  if (!st.ok()) {
    return absl::InternalError(absl::StrCat("to JSON: ", st.ToString()));
  }
  return out;
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message,
                                   const JsonOptions& options) {
  auto v = ToJsonValue(message, options);
  if (!v.ok()) return v.status();
  return JsonValueToString(*v);
}

}  // namespace vtpm
