// The admin API end to end over loopback TLS against a real SQLite store:
// authentication, every RPC, policy registry convergence, the verdict feed.
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/admin/admin_fixture.h"

namespace vtpm::testing {
namespace {

namespace v1 = ::vtpm_attest::v1;
using ::testing::HasSubstr;
using verifier::Policy;

constexpr char kFpA[] =
    "aaaa000000000000000000000000000000000000000000000000000000000001";
constexpr char kFpB[] =
    "bbbb000000000000000000000000000000000000000000000000000000000002";
constexpr char kFpC[] =
    "cccc000000000000000000000000000000000000000000000000000000000003";
constexpr char kVm1[] = "11111111-2222-3333-4444-555555555555";
constexpr char kVm2[] = "99999999-8888-7777-6666-555555555555";

class AdminServiceTest : public AdminFixture {};

// --- Authentication ------------------------------------------------------

TEST_F(AdminServiceTest, NoCredentialsIsUnauthenticated) {
  v1::ListIdentitiesResponse resp;
  auto ctx = Ctx("");
  grpc::Status st = Stub()->ListIdentities(ctx.get(), {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << st.error_message();
}

TEST_F(AdminServiceTest, WrongTokenIsUnauthenticated) {
  v1::ListIdentitiesResponse resp;
  auto ctx = Ctx("not-the-token");
  grpc::Status st = Stub()->ListIdentities(ctx.get(), {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A token that is a prefix of the right one is wrong too.
  auto ctx2 = Ctx(std::string(kToken).substr(0, 10));
  st = Stub()->ListIdentities(ctx2.get(), {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A wrong token is not rescued by a valid certificate.
  auto ctx3 = Ctx("not-the-token");
  st = Stub(ClientCert::kAdmin)->ListIdentities(ctx3.get(), {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AdminServiceTest, RightTokenIsAcceptedAndAuditedAsToken) {
  AddIdentity(kFpA, kVm1);
  v1::ReenrollRequest req;
  req.mutable_identity()->set_ek_fingerprint(kFpA);
  v1::AdminActionResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(Stub()->Reenroll(ctx.get(), req, &resp).ok());
  auto audit = store_->ListAudit(10);
  ASSERT_TRUE(audit.ok());
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ((*audit)[0].actor, "token");
}

TEST_F(AdminServiceTest, ClientCertificateOfAdminCaIsAccepted) {
  AddIdentity(kFpA, kVm1);
  v1::ReenrollRequest req;
  req.mutable_identity()->set_vm_uuid(kVm1);
  v1::AdminActionResponse resp;
  auto ctx = Ctx("");
  grpc::Status st = Stub(ClientCert::kAdmin)->Reenroll(ctx.get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  auto audit = store_->ListAudit(10);
  ASSERT_TRUE(audit.ok());
  ASSERT_FALSE(audit->empty());
  EXPECT_THAT((*audit)[0].actor, HasSubstr("CN=alice"));
}

TEST_F(AdminServiceTest, ClientCertificateOfOtherCaIsRefused) {
  // The TLS layer verifies against the admin CA only: the handshake fails.
  v1::ListIdentitiesResponse resp;
  auto ctx = Ctx("");
  grpc::Status st =
      Stub(ClientCert::kOther)->ListIdentities(ctx.get(), {}, &resp);
  EXPECT_FALSE(st.ok());
  // A listener that also trusts the other CA (e.g. for agents): the TLS
  // handshake succeeds, AdminAuth's own chain check refuses.
  AdminServerOptions o;
  o.tls_accepts_other_ca = true;
  StartServer(o);
  auto ctx2 = Ctx("");
  st = Stub(ClientCert::kOther)->ListIdentities(ctx2.get(), {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("mallory"));
  auto ctx3 = Ctx("");
  st = Stub(ClientCert::kAdmin)->ListIdentities(ctx3.get(), {}, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(AdminServiceTest, CertificateOnlyConfigRefusesTokens) {
  AdminServerOptions o;
  o.token = false;
  StartServer(o);
  v1::ListIdentitiesResponse resp;
  auto ctx = Ctx();
  EXPECT_EQ(Stub()->ListIdentities(ctx.get(), {}, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AdminServiceTest, NothingConfiguredServesNoAdminApi) {
  AdminServerOptions o;
  o.token = false;
  o.client_ca = false;
  StartServer(o);
  EXPECT_FALSE(auth_->Enabled());
  EXPECT_EQ(service_, nullptr);
  v1::ListIdentitiesResponse resp;
  auto ctx = Ctx();
  EXPECT_EQ(Stub()->ListIdentities(ctx.get(), {}, &resp).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(AdminServiceTest, TokenFileChecks) {
  std::string f = dir_->Sub("t2");
  ASSERT_TRUE(WriteFile(f, "tok\n").ok());
  ASSERT_EQ(::chmod(f.c_str(), 0644), 0);
  auto a = verifier::AdminAuth::Create({f, ""});
  EXPECT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("other users"));
  ASSERT_EQ(::chmod(f.c_str(), 0640), 0);  // group-readable: a warning only
  EXPECT_TRUE(verifier::AdminAuth::Create({f, ""}).ok());
  ASSERT_TRUE(WriteFile(f, " \n").ok());
  ASSERT_EQ(::chmod(f.c_str(), 0600), 0);
  a = verifier::AdminAuth::Create({f, ""});
  EXPECT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("empty"));
  EXPECT_FALSE(verifier::AdminAuth::Create({dir_->Sub("missing"), ""}).ok());
}

// --- Identities ----------------------------------------------------------

TEST_F(AdminServiceTest, ListIdentitiesFiltersAndPages) {
  AddIdentity(kFpA, kVm1, "base");
  AddIdentity(kFpB, kVm2, "other");
  AddIdentity(kFpC, kVm2, "other");
  Record(kFpA, kVm1, v1::RESULT_PASS);
  Record(kFpB, kVm2, v1::RESULT_FAIL, "other");
  auto stub = Stub();

  v1::ListIdentitiesResponse all;
  auto ctx = Ctx();
  ASSERT_TRUE(stub->ListIdentities(ctx.get(), {}, &all).ok());
  ASSERT_EQ(all.identities_size(), 3);
  EXPECT_EQ(all.identities(0).ek_fingerprint(), kFpA);
  EXPECT_EQ(all.identities(0).ak_name(), "000babcd");
  EXPECT_EQ(all.identities(0).status(), v1::RESULT_PASS);
  EXPECT_EQ(all.identities(0).enrollment(), v1::ENROLLMENT_ACTIVE);
  EXPECT_TRUE(all.next_page_token().empty());

  v1::ListIdentitiesRequest req;
  req.set_status(v1::RESULT_FAIL);
  v1::ListIdentitiesResponse failed;
  ctx = Ctx();
  ASSERT_TRUE(stub->ListIdentities(ctx.get(), req, &failed).ok());
  ASSERT_EQ(failed.identities_size(), 1);
  EXPECT_EQ(failed.identities(0).ek_fingerprint(), kFpB);

  req.Clear();
  req.set_policy("other");
  v1::ListIdentitiesResponse other;
  ctx = Ctx();
  ASSERT_TRUE(stub->ListIdentities(ctx.get(), req, &other).ok());
  EXPECT_EQ(other.identities_size(), 2);

  req.Clear();
  req.set_limit(2);
  v1::ListIdentitiesResponse p1, p2;
  ctx = Ctx();
  ASSERT_TRUE(stub->ListIdentities(ctx.get(), req, &p1).ok());
  ASSERT_EQ(p1.identities_size(), 2);
  EXPECT_EQ(p1.next_page_token(), kFpB);
  req.set_page_token(p1.next_page_token());
  ctx = Ctx();
  ASSERT_TRUE(stub->ListIdentities(ctx.get(), req, &p2).ok());
  ASSERT_EQ(p2.identities_size(), 1);
  EXPECT_EQ(p2.identities(0).ek_fingerprint(), kFpC);
  EXPECT_TRUE(p2.next_page_token().empty());

  req.Clear();
  req.set_limit(-1);
  ctx = Ctx();
  grpc::Status st = stub->ListIdentities(ctx.get(), req, &p2);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("limit"));
}

TEST_F(AdminServiceTest, GetIdentityBySelectorAndErrors) {
  AddIdentity(kFpA, kVm1);
  Record(kFpA, kVm1, v1::RESULT_FAIL);
  Record(kFpA, kVm1, v1::RESULT_PASS);
  auto stub = Stub();
  v1::GetIdentityRequest req;
  req.mutable_identity()->set_vm_uuid(absl::AsciiStrToUpper(kVm1));
  v1::IdentityDetail d;
  auto ctx = Ctx();
  grpc::Status st = stub->GetIdentity(ctx.get(), req, &d);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(d.summary().ek_fingerprint(), kFpA);
  EXPECT_EQ(d.ek_public(), std::string("ekpub-aaaa0000"));
  ASSERT_EQ(d.recent_verdicts_size(), 2);
  EXPECT_EQ(d.recent_verdicts(0).result(), v1::RESULT_PASS);  // newest first

  req.mutable_identity()->set_ek_fingerprint(kFpB);
  ctx = Ctx();
  EXPECT_EQ(stub->GetIdentity(ctx.get(), req, &d).error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.mutable_identity()->set_vm_uuid(kVm2);
  ctx = Ctx();
  EXPECT_EQ(stub->GetIdentity(ctx.get(), req, &d).error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.clear_identity();
  ctx = Ctx();
  st = stub->GetIdentity(ctx.get(), req, &d);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("identity"));
  req.mutable_identity()->set_vm_uuid("");
  ctx = Ctx();
  EXPECT_EQ(stub->GetIdentity(ctx.get(), req, &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AdminServiceTest, VmSelectorSkipsRetiredIdentities) {
  AddIdentity(kFpA, kVm1);
  absl::SleepFor(absl::Seconds(1));  // kFpB is seen later
  AddIdentity(kFpB, kVm1);
  ASSERT_TRUE(store_->SetEnrollment(kFpB, v1::ENROLLMENT_RETIRED).ok());
  v1::GetIdentityRequest req;
  req.mutable_identity()->set_vm_uuid(kVm1);
  v1::IdentityDetail d;
  auto ctx = Ctx();
  ASSERT_TRUE(Stub()->GetIdentity(ctx.get(), req, &d).ok());
  EXPECT_EQ(d.summary().ek_fingerprint(), kFpA);
  ASSERT_EQ(d.same_vm_size(), 1);
  EXPECT_EQ(d.same_vm(0).ek_fingerprint(), kFpB);
  EXPECT_EQ(d.same_vm(0).enrollment(), v1::ENROLLMENT_RETIRED);
}

TEST_F(AdminServiceTest, ListVerdictsByVmAndResult) {
  AddIdentity(kFpA, kVm1);
  AddIdentity(kFpB, kVm2);
  Record(kFpA, kVm1, v1::RESULT_PASS);
  Record(kFpA, kVm1, v1::RESULT_FAIL);
  Record(kFpB, kVm2, v1::RESULT_FAIL);
  auto stub = Stub();
  v1::ListVerdictsRequest req;
  req.mutable_identity()->set_vm_uuid(kVm1);
  v1::ListVerdictsResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(stub->ListVerdicts(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.verdicts_size(), 2);
  req.clear_identity();
  req.set_result(v1::RESULT_FAIL);
  ctx = Ctx();
  ASSERT_TRUE(stub->ListVerdicts(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.verdicts_size(), 2);
  for (const auto& v : resp.verdicts()) {
    EXPECT_EQ(v.result(), v1::RESULT_FAIL);
  }
  req.set_result(static_cast<v1::Result>(42));
  ctx = Ctx();
  EXPECT_EQ(stub->ListVerdicts(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AdminServiceTest, ReenrollClearsAkAndIsAudited) {
  AddIdentity(kFpA, kVm1);
  v1::ReenrollRequest req;
  req.mutable_identity()->set_vm_uuid(kVm1);
  req.set_reason("vTPM replaced, ticket 42");
  v1::AdminActionResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(Stub()->Reenroll(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.identity().enrollment(), v1::ENROLLMENT_REENROLL);
  EXPECT_EQ(resp.identity().ak_name(), "");
  auto rec = store_->GetIdentity(kFpA);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->enrollment, v1::ENROLLMENT_REENROLL);
  EXPECT_TRUE((*rec)->ak_name.empty());
  auto audit = store_->ListAudit(5);
  ASSERT_TRUE(audit.ok() && !audit->empty());
  EXPECT_EQ((*audit)[0].action, "reenroll");
  EXPECT_THAT((*audit)[0].target, HasSubstr(kFpA));
  EXPECT_EQ((*audit)[0].detail, "vTPM replaced, ticket 42");

  req.mutable_identity()->set_ek_fingerprint(kFpB);
  ctx = Ctx();
  EXPECT_EQ(Stub()->Reenroll(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdminServiceTest, ForgetDeletesIdentityKeepsHistoryAndIsAudited) {
  AddIdentity(kFpA, kVm1);
  Record(kFpA, kVm1, v1::RESULT_PASS);
  v1::ForgetRequest req;
  req.mutable_identity()->set_ek_fingerprint(absl::AsciiStrToUpper(kFpA));
  req.set_reason("decommissioned");
  v1::AdminActionResponse resp;
  auto stub = Stub();
  auto ctx = Ctx();
  ASSERT_TRUE(stub->Forget(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.identity().ek_fingerprint(), kFpA);
  auto rec = store_->GetIdentity(kFpA);
  ASSERT_TRUE(rec.ok());
  EXPECT_FALSE(rec->has_value());
  v1::ListVerdictsRequest vr;
  vr.mutable_identity()->set_ek_fingerprint(kFpA);
  v1::ListVerdictsResponse verdicts;
  ctx = Ctx();
  ASSERT_TRUE(stub->ListVerdicts(ctx.get(), vr, &verdicts).ok());
  EXPECT_EQ(verdicts.verdicts_size(), 1);

  v1::ListAuditRequest ar;
  v1::ListAuditResponse audit;
  ctx = Ctx();
  ASSERT_TRUE(stub->ListAudit(ctx.get(), ar, &audit).ok());
  ASSERT_GE(audit.entries_size(), 1);
  EXPECT_EQ(audit.entries(0).action(), "forget");
  EXPECT_EQ(audit.entries(0).detail(), "decommissioned");
  EXPECT_EQ(audit.entries(0).actor(), "token");

  ctx = Ctx();
  EXPECT_EQ(stub->Forget(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdminServiceTest, AttestNowQueuesRequestAndIsAudited) {
  AddIdentity(kFpA, kVm1);
  auto before = store_->LastAttestRequestSeq();
  ASSERT_TRUE(before.ok());
  v1::AttestNowRequest req;
  req.mutable_identity()->set_vm_uuid(kVm1);
  v1::AdminActionResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(Stub()->AttestNow(ctx.get(), req, &resp).ok());
  auto reqs = store_->AttestRequestsAfter(*before, 10);
  ASSERT_TRUE(reqs.ok());
  ASSERT_EQ(reqs->size(), 1u);
  EXPECT_EQ((*reqs)[0].ek_fingerprint, kFpA);
  auto audit = store_->ListAudit(1);
  ASSERT_TRUE(audit.ok() && !audit->empty());
  EXPECT_EQ((*audit)[0].action, "attest-now");
  req.mutable_identity()->set_vm_uuid(kVm2);
  ctx = Ctx();
  EXPECT_EQ(Stub()->AttestNow(ctx.get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// --- Policies ----------------------------------------------------------------

TEST_F(AdminServiceTest, ApplyPolicyValidationNamesTheField) {
  auto stub = Stub();
  v1::ApplyPolicyRequest req;
  req.set_json(R"({"name": "p", "tpmFamly": "2.0"})");
  v1::ApplyPolicyResponse resp;
  auto ctx = Ctx();
  grpc::Status st = stub->ApplyPolicy(ctx.get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("tpmFamly"));

  req.set_json(
      R"({"name": "p", "pcrValues": [{"hash": "HASH_ALGORITHM_SHA256", "pcrs": [{"index": 0, "values": ["zz"]}]}]})");
  ctx = Ctx();
  st = stub->ApplyPolicy(ctx.get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("pcrValues"));

  req.set_json(R"({"tpmFamily": "2.0"})");  // no name anywhere
  ctx = Ctx();
  st = stub->ApplyPolicy(ctx.get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("name"));

  req.set_json(R"({"name": "a", "tpmFamily": "2.0"})");
  req.set_name("b");
  ctx = Ctx();
  st = stub->ApplyPolicy(ctx.get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("name"));

  auto stored = store_->ListStoredPolicies();
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
}

TEST_F(AdminServiceTest, ApplyPolicyIsListedAndInForce) {
  auto stub = Stub();
  v1::ApplyPolicyRequest req;
  req.set_json(R"({"tpmFamily": "2.0", "matchLabels": {"image": "x"}})");
  req.set_name("fleet-x");
  req.set_dry_run(true);
  v1::ApplyPolicyResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(stub->ApplyPolicy(ctx.get(), req, &resp).ok());
  EXPECT_EQ(registry_->Current()->Find("fleet-x"), nullptr);  // dry run
  EXPECT_EQ(resp.policy().policy().name(), "fleet-x");

  req.set_dry_run(false);
  ctx = Ctx();
  grpc::Status st = stub->ApplyPolicy(ctx.get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.policy().source(), "stored");
  EXPECT_EQ(resp.policy().sha256().size(), 64u);
  ASSERT_NE(registry_->Current()->Find("fleet-x"), nullptr);
  auto sel = registry_->Current()->Select({{"image", "x"}});
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ((*sel)->name(), "fleet-x");

  v1::ListPoliciesResponse list;
  ctx = Ctx();
  ASSERT_TRUE(stub->ListPolicies(ctx.get(), {}, &list).ok());
  ASSERT_EQ(list.policies_size(), 2);
  EXPECT_EQ(list.policies(0).policy().name(), "base");
  EXPECT_EQ(list.policies(0).source(), "file:" + policy_dir_ + "/base.json");
  EXPECT_EQ(list.policies(1).policy().name(), "fleet-x");
  EXPECT_EQ(list.policies(1).source(), "stored");

  auto audit = store_->ListAudit(1);
  ASSERT_TRUE(audit.ok() && !audit->empty());
  EXPECT_EQ((*audit)[0].action, "apply-policy");
  EXPECT_EQ((*audit)[0].target, "fleet-x");
}

TEST_F(AdminServiceTest, StoredPolicyOverridesFilePolicy) {
  const Policy* before = registry_->Current()->Find("base");
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before->quote_pcrs(0).pcrs_size(), 3);
  auto r = registry_->Apply(R"({"name": "base", "tpmFamily": "2.0"})", "",
                            "test", false);
  ASSERT_TRUE(r.ok()) << r.status();
  const Policy* after = registry_->Current()->Find("base");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->quote_pcrs_size(), 0);
  auto list = registry_->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].source(), "stored");
}

TEST_F(AdminServiceTest, ReloadPoliciesRereadsDirectory) {
  ASSERT_TRUE(
      WriteFile(policy_dir_ + "/extra.json", R"({"tpmFamily": "2.0"})").ok());
  EXPECT_EQ(registry_->Current()->Find("extra"), nullptr);
  v1::ListPoliciesResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(Stub()->ReloadPolicies(ctx.get(), {}, &resp).ok());
  EXPECT_EQ(resp.policies_size(), 2);
  EXPECT_NE(registry_->Current()->Find("extra"), nullptr);
  // A broken file: the reload fails, the set in force stays.
  ASSERT_TRUE(WriteFile(policy_dir_ + "/broken.json", "{").ok());
  ctx = Ctx();
  grpc::Status st = Stub()->ReloadPolicies(ctx.get(), {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("broken.json"));
  EXPECT_NE(registry_->Current()->Find("extra"), nullptr);
}

TEST_F(AdminServiceTest, ReplicaRegistryPicksUpStoredPolicyByPolling) {
  auto store2 = verifier::OpenStore("sqlite:" + db_path_);
  ASSERT_TRUE(store2.ok()) << store2.status();
  auto replica = verifier::PolicyRegistry::Create(policy_dir_, store2->get());
  ASSERT_TRUE(replica.ok()) << replica.status();
  auto polled = (*replica)->PollOnce();
  ASSERT_TRUE(polled.ok());
  EXPECT_FALSE(*polled);  // nothing changed yet
  std::shared_ptr<const verifier::PolicySet> held = (*replica)->Current();

  auto r = registry_->Apply(R"({"name": "late", "tpmFamily": "2.0"})", "",
                            "test", false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*replica)->Current()->Find("late"), nullptr);
  polled = (*replica)->PollOnce();
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_TRUE(*polled);
  EXPECT_NE((*replica)->Current()->Find("late"), nullptr);
  // A session holding the old set keeps a consistent view.
  EXPECT_EQ(held->Find("late"), nullptr);
  polled = (*replica)->PollOnce();
  ASSERT_TRUE(polled.ok());
  EXPECT_FALSE(*polled);
}

TEST_F(AdminServiceTest, UnparseableStoredPolicyKeepsLastGoodSet) {
  auto r = registry_->Apply(
      R"({"name": "fleet", "tpmFamily": "2.0", "description": "v1"})", "",
      "test", false);
  ASSERT_TRUE(r.ok()) << r.status();
  // Another replica (e.g. a newer version) stores what this one cannot
  // parse.
  verifier::StoredPolicy bad;
  bad.name = "fleet";
  bad.json = R"({"name": "fleet", "fieldFromTheFuture": true})";
  bad.actor = "newer-replica";
  ASSERT_TRUE(store_->PutPolicy(bad).ok());
  auto polled = registry_->PollOnce();
  ASSERT_TRUE(polled.ok()) << polled.status();
  const Policy* p = registry_->Current()->Find("fleet");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->description(), "v1");
  ASSERT_EQ(registry_->Problems().size(), 1u);
  EXPECT_THAT(registry_->Problems()[0], HasSubstr("fieldFromTheFuture"));
  // A fresh replica with no last good version starts anyway.
  auto fresh = verifier::PolicyRegistry::Create(policy_dir_, store_.get());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE((*fresh)->Current()->Find("base"), nullptr);
  EXPECT_EQ((*fresh)->Current()->Find("fleet"), nullptr);
  EXPECT_EQ((*fresh)->Problems().size(), 1u);
}

// --- Verdict feed ------------------------------------------------------------

TEST_F(AdminServiceTest, WatchReceivesVerdictsRecordedAfterSubscribing) {
  AddIdentity(kFpA, kVm1);
  AddIdentity(kFpB, kVm2);
  Record(kFpA, kVm1, v1::RESULT_PASS);  // before: not delivered
  v1::WatchVerdictsRequest req;
  req.set_vm_uuid(kVm1);
  auto ctx = Ctx();
  auto stub = Stub();
  auto reader = stub->WatchVerdicts(ctx.get(), req);
  // Wait until the stream is subscribed (headers arrive after Subscribe).
  reader->WaitForInitialMetadata();
  Record(kFpB, kVm2, v1::RESULT_FAIL);  // other VM: filtered out
  v1::Verdict want = Record(kFpA, kVm1, v1::RESULT_FAIL);
  v1::VerdictEvent e;
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(e.verdict().verdict_id(), want.verdict_id());
  EXPECT_GT(e.seq(), 0);
  EXPECT_EQ(e.verdict().identity().vm_uuid(), kVm1);
  ctx->TryCancel();
  while (reader->Read(&e)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(AdminServiceTest, WatchSinceSendsBacklogFirst) {
  AddIdentity(kFpA, kVm1);
  int64_t t = absl::ToUnixSeconds(absl::Now());
  v1::Verdict old = Record(kFpA, kVm1, v1::RESULT_PASS, "base", t - 100);
  v1::Verdict older = Record(kFpA, kVm1, v1::RESULT_PASS, "base", t - 5000);
  v1::WatchVerdictsRequest req;
  req.set_since_unix(t - 200);
  auto ctx = Ctx();
  auto stub = Stub();
  auto reader = stub->WatchVerdicts(ctx.get(), req);
  v1::VerdictEvent e;
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(e.verdict().verdict_id(), old.verdict_id());
  v1::Verdict live = Record(kFpA, kVm1, v1::RESULT_FAIL);
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(e.verdict().verdict_id(), live.verdict_id());
  ctx->TryCancel();
  while (reader->Read(&e)) {
  }
  reader->Finish();
}

TEST_F(AdminServiceTest, WatchNeedsCredentials) {
  auto ctx = Ctx("wrong");
  auto stub = Stub();
  auto reader = stub->WatchVerdicts(ctx.get(), {});
  v1::VerdictEvent e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AdminServiceTest, SlowSubscriberIsDroppedNotBuffered) {
  AddIdentity(kFpA, kVm1);
  verifier::VerdictFeedOptions o;
  o.poll_interval = absl::Milliseconds(20);
  o.queue_limit = 3;
  auto feed = verifier::VerdictFeed::Start(store_.get(), o);
  ASSERT_TRUE(feed.ok());
  auto slow = (*feed)->Subscribe("");
  auto fast = (*feed)->Subscribe(kVm1);
  int got_fast = 0;
  for (int i = 0; i < 6; ++i) {
    Record(kFpA, kVm1, v1::RESULT_PASS);
    auto n = fast->Next(absl::Now() + absl::Seconds(5));
    ASSERT_TRUE(n.ok()) << n.status();
    ASSERT_TRUE(n->has_value());
    ++got_fast;
  }
  EXPECT_EQ(got_fast, 6);
  auto n = slow->Next(absl::Now() + absl::Seconds(1));
  EXPECT_EQ(n.status().code(), absl::StatusCode::kResourceExhausted)
      << n.status();
  EXPECT_EQ((*feed)->subscribers(), 1u);
  // Shutdown ends the rest.
  (*feed)->Shutdown();
  n = fast->Next(absl::Now() + absl::Seconds(1));
  EXPECT_EQ(n.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(AdminServiceTest, FeedStartsAtTheCurrentEnd) {
  AddIdentity(kFpA, kVm1);
  Record(kFpA, kVm1, v1::RESULT_PASS);
  auto feed = verifier::VerdictFeed::Start(store_.get(), {});
  ASSERT_TRUE(feed.ok());
  auto sub = (*feed)->Subscribe("");
  auto n = sub->Next(absl::Now() + absl::Milliseconds(600));
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->has_value());
  sub->Cancel();
  n = sub->Next(absl::Now() + absl::Seconds(1));
  EXPECT_EQ(n.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(AdminServiceTest, FailedEvidenceIsServedUntilPruned) {
  AddIdentity(kFpA, kVm1);
  v1::Hello hello;
  hello.mutable_host()->set_vm_uuid(kVm1);
  hello.mutable_ak()->set_name(std::string("\x00\x0b\xff", 3));
  v1::QuoteResponse quote;
  quote.set_attest(std::string("\xff\x54\x43\x47", 4));
  verifier::FailedEvidence raw;
  raw.verdict_id = "v-failed";
  raw.ek_fingerprint = kFpA;
  raw.created_unix = 1000;
  raw.hello = hello.SerializeAsString();
  raw.quote_response = quote.SerializeAsString();
  ASSERT_TRUE(store_->RecordFailedEvidence(raw).ok());

  v1::GetFailedEvidenceRequest req;
  req.set_verdict_id("v-failed");
  v1::FailedEvidence resp;
  auto ctx = Ctx();
  grpc::Status st = Stub()->GetFailedEvidence(ctx.get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.ek_fingerprint(), kFpA);
  EXPECT_EQ(resp.hello().host().vm_uuid(), kVm1);
  EXPECT_EQ(resp.hello().ak().name(), hello.ak().name());
  EXPECT_EQ(resp.quote_response().attest(), quote.attest());

  // Unauthenticated callers get nothing.
  auto anon = Ctx("");
  EXPECT_EQ(Stub()->GetFailedEvidence(anon.get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // After the retention period it is gone.
  ASSERT_TRUE(store_->PruneFailedEvidence(2000).ok());
  auto again = Ctx();
  EXPECT_EQ(Stub()->GetFailedEvidence(again.get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.clear_verdict_id();
  auto empty = Ctx();
  EXPECT_EQ(Stub()->GetFailedEvidence(empty.get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace vtpm::testing
