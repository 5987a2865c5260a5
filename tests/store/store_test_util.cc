#include "tests/store/store_test_util.h"

namespace vtpm::verifier::store_test {

namespace v1 = vtpm_attest::v1;

IdentityRecord MakeIdentity(const std::string& fp, int64_t seen,
                            const std::string& vm_uuid,
                            const std::string& policy) {
  IdentityRecord r;
  r.ek_fingerprint = fp;
  r.vm_uuid = vm_uuid.empty() ? "uuid-" + fp : vm_uuid;
  r.hostname = "host-" + fp;
  r.ek_public = std::string("\x00\x01pub\xff\x00", 7);
  r.ek_certificate = std::string("\x30\x82\x00\x00cert\x00", 9);
  r.policy = policy;
  r.labels = {{"zone", "eu-1"}};
  r.last_seen_unix = seen;
  return r;
}

v1::Verdict MakeVerdict(const std::string& id, int64_t at, v1::Result result,
                        const std::string& vm_uuid) {
  v1::Verdict v;
  v.set_verdict_id(id);
  v.set_verified_at_unix(at);
  v.set_result(result);
  v.set_policy("default");
  v.set_replica("replica-a");
  v.mutable_identity()->set_vm_uuid(vm_uuid);
  auto* r = v.add_reasons();
  r->set_code(v1::NONCE_MISMATCH);
  r->set_message("m");
  v.mutable_evidence()->set_clock(1234);
  return v;
}

}  // namespace vtpm::verifier::store_test
