// The verifier's identity rules on real swtpm vTPMs, through the real
// agent and a real verifier over loopback TLS: one VM UUID keeps one EK
// until an operator re-enrolls it, a known EK may not move to another VM
// UUID, a reboot opens a new boot session, and a vTPM restored from an old
// snapshot is flagged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"

namespace vtpm::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
namespace v1 = vtpm_attest::v1;

constexpr char kVm1[] = "5c0b1a52-0000-4000-8000-000000000001";
constexpr char kVm2[] = "5c0b1a52-0000-4000-8000-000000000002";

class IdentityRulesTest : public E2eTest {
 protected:
  verifier::Store& store() { return verifier_->service().store(); }

  verifier::IdentityRecord Identity(const std::string& fp) {
    auto r = store().GetIdentity(fp);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r.ok() && r->has_value()) << fp;
    return r.ok() && r->has_value() ? **r : verifier::IdentityRecord{};
  }
};

TEST_F(IdentityRulesTest, NewEkForKnownVmFailsUntilReenrolled) {
  SetVmUuid(kVm1);
  StartVerifier();
  auto first = MakeAttestor(*tpm_);
  ASSERT_NE(first, nullptr);
  auto run1 = Run(*first);
  EXPECT_RESULT(run1, v1::RESULT_PASS);
  const std::string old_fp = run1.verdict->identity().ek_fingerprint();
  EXPECT_EQ(Identity(old_fp).enrollment, v1::ENROLLMENT_ACTIVE);

  // The same VM UUID comes back with a new vTPM (a clone whose vTPM was
  // replaced, as vSphere does).
  auto tpm2 = Swtpm::Start(dir_.Sub("tpm2"), *ca_);
  ASSERT_TRUE(tpm2.ok()) << tpm2.status();
  auto second = MakeAttestor(**tpm2, agent::AkAlgorithm::kEccP256,
                             agent::EkAlgorithm::kAuto, "agent-state-2");
  ASSERT_NE(second, nullptr);
  auto run2 = Run(*second);
  EXPECT_RESULT(run2, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run2.verdict), Contains(v1::EK_CHANGED));
  EXPECT_THAT(run2.verdict->reasons(0).message(), HasSubstr(old_fp));
  const std::string new_fp = run2.verdict->identity().ek_fingerprint();
  ASSERT_NE(new_fp, old_fp);
  // The newcomer is on record, not enrolled.
  EXPECT_EQ(Identity(new_fp).enrollment, v1::ENROLLMENT_PENDING);
  EXPECT_EQ(Identity(old_fp).enrollment, v1::ENROLLMENT_ACTIVE);

  // An operator re-enrolls the VM: the new EK takes over after proving
  // its AK, the old one is retired and may not come back.
  ASSERT_TRUE(store().SetEnrollment(old_fp, v1::ENROLLMENT_REENROLL).ok());
  auto run3 = Run(*second);
  EXPECT_RESULT(run3, v1::RESULT_PASS);
  EXPECT_EQ(Identity(new_fp).enrollment, v1::ENROLLMENT_ACTIVE);
  EXPECT_EQ(Identity(old_fp).enrollment, v1::ENROLLMENT_RETIRED);
  auto run4 = Run(*first);
  EXPECT_RESULT(run4, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run4.verdict), Contains(v1::EK_CHANGED));
}

TEST_F(IdentityRulesTest, ReenrollingTheNewcomerAlsoApprovesIt) {
  SetVmUuid(kVm1);
  StartVerifier();
  auto first = MakeAttestor(*tpm_);
  ASSERT_NE(first, nullptr);
  auto run1 = Run(*first);
  EXPECT_RESULT(run1, v1::RESULT_PASS);
  auto tpm2 = Swtpm::Start(dir_.Sub("tpm2"), *ca_);
  ASSERT_TRUE(tpm2.ok()) << tpm2.status();
  auto second = MakeAttestor(**tpm2, agent::AkAlgorithm::kEccP256,
                             agent::EkAlgorithm::kAuto, "agent-state-2");
  auto run2 = Run(*second);
  EXPECT_RESULT(run2, v1::RESULT_FAIL);
  const std::string new_fp = run2.verdict->identity().ek_fingerprint();
  ASSERT_TRUE(store().SetEnrollment(new_fp, v1::ENROLLMENT_REENROLL).ok());
  auto run3 = Run(*second);
  EXPECT_RESULT(run3, v1::RESULT_PASS);
  EXPECT_EQ(Identity(run1.verdict->identity().ek_fingerprint()).enrollment,
            v1::ENROLLMENT_RETIRED);
}

TEST_F(IdentityRulesTest, KnownEkUnderAnotherVmUuidFails) {
  SetVmUuid(kVm1);
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto run1 = Run(*a);
  EXPECT_RESULT(run1, v1::RESULT_PASS);
  const std::string fp = run1.verdict->identity().ek_fingerprint();

  SetVmUuid(kVm2);  // the vTPM state was copied to another VM
  auto run2 = Run(*a);
  EXPECT_RESULT(run2, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*run2.verdict), Contains(v1::EK_VM_UUID_CHANGED));
  EXPECT_EQ(Identity(fp).vm_uuid, kVm1);

  ASSERT_TRUE(store().SetEnrollment(fp, v1::ENROLLMENT_REENROLL).ok());
  auto run3 = Run(*a);
  EXPECT_RESULT(run3, v1::RESULT_PASS);
  EXPECT_EQ(Identity(fp).vm_uuid, kVm2);
  EXPECT_EQ(Identity(fp).enrollment, v1::ENROLLMENT_ACTIVE);
}

TEST_F(IdentityRulesTest, RebootOpensANewBootSessionAndPasses) {
  SetVmUuid(kVm1);
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto run1 = Run(*a);
  EXPECT_RESULT(run1, v1::RESULT_PASS);
  EXPECT_FALSE(run1.verdict->evidence().new_boot_session());
  auto run2 = Run(*a);
  EXPECT_RESULT(run2, v1::RESULT_PASS);
  EXPECT_FALSE(run2.verdict->evidence().new_boot_session());
  // Reboot: the TPM resets and the agent starts afresh (loading its AK).
  a.reset();
  ASSERT_TRUE(tpm_->Restart().ok());
  a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto run3 = Run(*a);
  EXPECT_RESULT(run3, v1::RESULT_PASS);
  EXPECT_TRUE(run3.verdict->evidence().new_boot_session());
  EXPECT_GT(run3.verdict->evidence().reset_count(),
            run2.verdict->evidence().reset_count());
}

TEST_F(IdentityRulesTest, VtpmRestoredFromAnOldSnapshotIsFlagged) {
  SetVmUuid(kVm1);
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto before = Run(*a);
  EXPECT_RESULT(before, v1::RESULT_PASS);
  // Each power cycle restarts the agent with the TPM.
  auto power_cycle = [&](const std::function<absl::Status()>& cycle) {
    a.reset();
    ASSERT_TRUE(cycle().ok());
    a = MakeAttestor(*tpm_);
    ASSERT_NE(a, nullptr);
  };
  power_cycle([&] { return tpm_->SaveState(dir_.Sub("snapshot")); });
  auto after_snapshot = Run(*a);
  EXPECT_RESULT(after_snapshot, v1::RESULT_PASS);
  power_cycle([&] { return tpm_->Restart(); });
  auto later = Run(*a);
  EXPECT_RESULT(later, v1::RESULT_PASS);

  power_cycle([&] { return tpm_->RestoreState(dir_.Sub("snapshot")); });
  auto restored = Run(*a);
  EXPECT_RESULT(restored, v1::RESULT_FAIL);
  EXPECT_THAT(Codes(*restored.verdict), Contains(v1::CLOCK_ROLLBACK));
  EXPECT_THAT(restored.verdict->reasons(0).message(), HasSubstr("resetCount"));
}

TEST_F(IdentityRulesTest, VerdictsCarryEvidenceAndFailuresKeepRawEvidence) {
  SetVmUuid(kVm1);
  StartVerifier();
  auto a = MakeAttestor(*tpm_);
  ASSERT_NE(a, nullptr);
  auto pass = Run(*a);
  EXPECT_RESULT(pass, v1::RESULT_PASS);
  const auto& ev = pass.verdict->evidence();
  EXPECT_GT(ev.quoted_pcrs_size(), 0);
  EXPECT_GT(ev.clock(), 0u);
  EXPECT_FALSE(ev.ak_name().empty());
  EXPECT_FALSE(pass.verdict->replica().empty());
  auto none = store().GetFailedEvidence(pass.verdict->verdict_id());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // A quote whose PCR values were changed in flight fails; its raw
  // evidence is kept for diagnosis.
  Tamper t;
  t.to_verifier = [](v1::AgentMessage* m) {
    if (!m->has_quote_response()) return;
    auto* bank = m->mutable_quote_response()->mutable_pcrs(0);
    auto& values = *bank->mutable_values();
    values.begin()->second[0] ^= 1;
  };
  auto fail = Run(*a, t);
  EXPECT_RESULT(fail, v1::RESULT_FAIL);
  auto raw = store().GetFailedEvidence(fail.verdict->verdict_id());
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_TRUE(raw->has_value());
  v1::Hello hello;
  ASSERT_TRUE(hello.ParseFromString((*raw)->hello));
  EXPECT_EQ(hello.host().vm_uuid(), kVm1);
  v1::QuoteResponse quote;
  ASSERT_TRUE(quote.ParseFromString((*raw)->quote_response));
  EXPECT_FALSE(quote.attest().empty());
}

}  // namespace
}  // namespace vtpm::testing
