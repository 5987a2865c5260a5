#include "verifier/service/message_checks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/reason.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace vtpm::verifier {
namespace {

namespace pb = ::google::protobuf;

absl::Status Check(const pb::Message& msg, const std::string& path, int depth) {
  if (depth > 16) {
    return ReasonError(vtpm_attest::v1::MALFORMED_MESSAGE,
                       absl::StrCat(path, ": nested too deeply"));
  }
  const pb::Reflection* r = msg.GetReflection();
  const pb::UnknownFieldSet& unknown = r->GetUnknownFields(msg);
  if (!unknown.empty()) {
    return ReasonError(
        vtpm_attest::v1::MALFORMED_MESSAGE,
        absl::StrCat(path, " has ", unknown.field_count(),
                     " unknown field(s), the first numbered ",
                     unknown.field(0).number(),
                     ": this verifier does not know them (is the agent "
                     "newer than the verifier?)"));
  }
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    std::string sub = absl::StrCat(path, ".", f->name());
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(msg, f); ++i) {
        absl::Status s = Check(r->GetRepeatedMessage(msg, f, i),
                               absl::StrCat(sub, "[", i, "]"), depth + 1);
        if (!s.ok()) return s;
      }
    } else {
      absl::Status s = Check(r->GetMessage(msg, f), sub, depth + 1);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckNoUnknownFields(const pb::Message& msg) {
  return Check(msg, msg.GetDescriptor()->name(), 0);
}

}  // namespace vtpm::verifier
