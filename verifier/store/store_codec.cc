#include "verifier/store/store_codec.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace vtpm::verifier::store_internal {

absl::StatusOr<std::string> LabelsToJson(
    const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return std::string("{}");
  google::protobuf::Struct s;
  for (const auto& [k, v] : labels) {
    (*s.mutable_fields())[k].set_string_value(v);
  }
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(s, &out);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels cannot be encoded: ", status.ToString()));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> LabelsFromJson(
    const std::string& json) {
  std::map<std::string, std::string> out;
  if (json.empty() || json == "{}") return out;
  google::protobuf::Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(json, &s);
  if (!status.ok()) {
    return absl::DataLossError(
        absl::StrCat("stored labels are not a JSON object: ", json));
  }
  for (const auto& [k, v] : s.fields()) {
    if (v.kind_case() != google::protobuf::Value::kStringValue) {
      return absl::DataLossError(
          absl::StrCat("stored label ", k, " is not a string"));
    }
    out.emplace(k, v.string_value());
  }
  return out;
}

std::string ReasonCodesText(const vtpm_attest::v1::Verdict& verdict) {
  std::string out;
  for (const auto& r : verdict.reasons()) {
    if (!out.empty()) out.push_back(',');
    const std::string& name = vtpm_attest::v1::ReasonCode_Name(r.code());
    if (name.empty()) {
      absl::StrAppend(&out, static_cast<int>(r.code()));
    } else {
      out += name;
    }
  }
  return out;
}

}  // namespace vtpm::verifier::store_internal
