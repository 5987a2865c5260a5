// What `policy learn --from-database` may learn from: a verdict with a
// verified log that failed only by policy, never one with a finding about
// the log or the evidence (which may describe what an attacker appended).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/harness/process.h"
#include "verifier/cli/policy_from_store.h"
#include "verifier/store/store.h"

namespace vtpm::cli {
namespace {

namespace v1 = vtpm_attest::v1;
using ::testing::HasSubstr;

constexpr char kVm[] = "5c0b1a52-0000-4000-8000-0000000000aa";
constexpr char kEk[] =
    "aa00000000000000000000000000000000000000000000000000000000000001";

v1::Verdict MakeVerdict(const std::string& id, int64_t at,
                        const std::string& cmdline,
                        std::vector<v1::ReasonCode> reasons) {
  v1::Verdict v;
  v.set_verdict_id(id);
  v.set_verified_at_unix(at);
  v.set_result(reasons.empty() ? v1::RESULT_PASS : v1::RESULT_FAIL);
  v.mutable_identity()->set_vm_uuid(kVm);
  v.mutable_identity()->set_ek_fingerprint(kEk);
  v.mutable_boot_state()->set_kernel_cmdline(cmdline);
  for (auto code : reasons) v.add_reasons()->set_code(code);
  return v;
}

class LearnFromStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.Sub("verifier.db");
    auto store = verifier::OpenStore(db_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    verifier::IdentityRecord r;
    r.ek_fingerprint = kEk;
    r.vm_uuid = kVm;
    ASSERT_TRUE(store_->UpsertIdentity(r).ok());
  }
  void Record(const v1::Verdict& v) {
    ASSERT_TRUE(store_->RecordVerdict(kEk, v, {}).ok());
  }
  testing::TempDir dir_;
  std::string db_;
  std::unique_ptr<verifier::Store> store_;
};

TEST_F(LearnFromStoreTest, SkipsVerdictsWithLogOrEvidenceFindings) {
  Record(MakeVerdict("01a", 100, "golden", {}));
  Record(MakeVerdict("01b", 200, "by policy only",
                     {v1::POLICY_KERNEL_CMDLINE, v1::POLICY_SECURE_BOOT}));
  // Newer, but each with a finding about the log or the evidence.
  const v1::ReasonCode findings[] = {v1::EVENTLOG_REPEATED_MEASUREMENT,
                                     v1::EVENTLOG_UNCLASSIFIED_EVENT,
                                     v1::EVENTLOG_AFTER_EXIT_BOOT_SERVICES,
                                     v1::EVENTLOG_DIGEST_MISMATCH,
                                     v1::POLICY_QUIRK,
                                     v1::PCR_VALUES_UNQUOTED,
                                     v1::CLOCK_ROLLBACK};
  int64_t at = 300;
  for (auto code : findings) {
    Record(MakeVerdict(absl::StrCat("02", at), at, "appended",
                       {v1::POLICY_KERNEL_CMDLINE, code}));
    ++at;
  }
  auto boot = LoadStoredBoot(db_, kVm, "");
  ASSERT_TRUE(boot.ok()) << boot.status();
  EXPECT_EQ(boot->state.kernel_cmdline(), "by policy only");
  EXPECT_THAT(boot->description, HasSubstr("01b"));
}

TEST_F(LearnFromStoreTest, NothingToLearnFromOnlyFindings) {
  Record(
      MakeVerdict("03a", 100, "appended", {v1::EVENTLOG_REPEATED_MEASUREMENT}));
  auto boot = LoadStoredBoot(db_, kVm, "");
  ASSERT_FALSE(boot.ok());
  EXPECT_TRUE(absl::IsNotFound(boot.status())) << boot.status();
}

}  // namespace
}  // namespace vtpm::cli
