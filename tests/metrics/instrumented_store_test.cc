// InstrumentedStore around a real SQLite store: every call is timed into
// vtpm_attest_db_seconds{op} and failures counted, results unchanged.
#include "verifier/metrics/instrumented_store.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/metrics/scrape.h"
#include "verifier/metrics/metrics_registry.h"
#include "verifier/metrics/verifier_metrics.h"
#include "verifier/store/store.h"

namespace vtpm::metrics {
namespace {

using ::vtpm::testing::ParseExposition;
using ::vtpm::testing::TempDir;

class InstrumentedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = VerifierMetrics::Create(&registry_, "test");
    ASSERT_TRUE(m.ok()) << m.status();
    metrics_ = std::move(*m);
    auto inner = verifier::OpenStore("sqlite:" + dir_.Sub("verifier.db"));
    ASSERT_TRUE(inner.ok()) << inner.status();
    store_ =
        std::make_unique<InstrumentedStore>(std::move(*inner), metrics_.get());
  }

  // A sample of the current exposition (0 when absent).
  double Sample(const std::string& key) {
    auto e = ParseExposition(registry_.Serialize());
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return -1;
    auto it = e->samples.find(key);
    return it == e->samples.end() ? 0 : it->second;
  }

  TempDir dir_;
  MetricsRegistry registry_;
  std::unique_ptr<VerifierMetrics> metrics_;
  std::unique_ptr<InstrumentedStore> store_;
};

verifier::IdentityRecord Identity(const std::string& fp) {
  verifier::IdentityRecord r;
  r.ek_fingerprint = fp;
  r.vm_uuid = "00000000-0000-0000-0000-000000000001";
  r.hostname = "vm1";
  r.ek_public = "ekpub";
  r.policy = "default";
  r.first_seen_unix = r.last_seen_unix = 1700000000;
  return r;
}

TEST_F(InstrumentedStoreTest, TimesEveryCallAndPassesResultsThrough) {
  // Every op has its series from the start (count 0).
  EXPECT_EQ(registry_.Serialize().find("op=\"unknown\""), std::string::npos);
  for (int op = 0; op < InstrumentedStore::kOpCount; ++op) {
    std::string name =
        InstrumentedStore::OpName(static_cast<InstrumentedStore::Op>(op));
    EXPECT_EQ(Sample("vtpm_attest_db_seconds_count{op=\"" + name + "\"}"), 0)
        << name;
    EXPECT_NE(registry_.Serialize().find("vtpm_attest_db_errors_total{op=\"" +
                                         name + "\"} 0"),
              std::string::npos)
        << name;
  }

  ASSERT_TRUE(store_->UpsertIdentity(Identity("aa")).ok());
  for (int i = 0; i < 3; ++i) {
    vtpm_attest::v1::Verdict v;
    v.set_verdict_id("v" + std::to_string(i));
    v.set_result(vtpm_attest::v1::RESULT_PASS);
    v.set_verified_at_unix(1700000000 + i);
    v.mutable_identity()->set_ek_fingerprint("aa");
    auto outcome = store_->RecordVerdict("aa", v, {});
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_TRUE(outcome->inserted);
    EXPECT_EQ(outcome->previous_status,
              i == 0 ? vtpm_attest::v1::RESULT_UNSPECIFIED
                     : vtpm_attest::v1::RESULT_PASS);
  }
  auto got = store_->GetIdentity("aa");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, vtpm_attest::v1::RESULT_PASS);
  auto seq = store_->LastVerdictSeq();
  ASSERT_TRUE(seq.ok());
  EXPECT_GT(*seq, 0);

  EXPECT_EQ(Sample("vtpm_attest_db_seconds_count{op=\"RecordVerdict\"}"), 3);
  EXPECT_EQ(
      Sample("vtpm_attest_db_seconds_bucket{op=\"RecordVerdict\",le=\"+Inf\"}"),
      3);
  EXPECT_GT(Sample("vtpm_attest_db_seconds_sum{op=\"RecordVerdict\"}"), 0);
  EXPECT_EQ(Sample("vtpm_attest_db_seconds_count{op=\"UpsertIdentity\"}"), 1);
  EXPECT_EQ(Sample("vtpm_attest_db_seconds_count{op=\"GetIdentity\"}"), 1);
  EXPECT_EQ(Sample("vtpm_attest_db_seconds_count{op=\"LastVerdictSeq\"}"), 1);
  EXPECT_EQ(Sample("vtpm_attest_db_errors_total{op=\"RecordVerdict\"}"), 0);

  // The identities gauge from the store's counts (through the decorator).
  ASSERT_TRUE(store_->UpsertIdentity(Identity("bb")).ok());
  ASSERT_TRUE(metrics_->RefreshIdentityCounts(*store_).ok());
  EXPECT_EQ(Sample("vtpm_attest_identities{status=\"pass\"}"), 1);
  EXPECT_EQ(Sample("vtpm_attest_identities{status=\"unspecified\"}"), 1);
  EXPECT_EQ(Sample("vtpm_attest_identities{status=\"fail\"}"), 0);
  EXPECT_EQ(
      Sample("vtpm_attest_db_seconds_count{op=\"CountIdentitiesByStatus\"}"),
      1);
}

TEST_F(InstrumentedStoreTest, CountsFailuresButNotNotFound) {
  // The contract requires a verdict id: the store refuses, and that is an
  // error of the op.
  vtpm_attest::v1::Verdict no_id;
  no_id.set_result(vtpm_attest::v1::RESULT_PASS);
  auto refused = store_->RecordVerdict("aa", no_id, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Sample("vtpm_attest_db_errors_total{op=\"RecordVerdict\"}"), 1);
  EXPECT_EQ(Sample("vtpm_attest_db_seconds_count{op=\"RecordVerdict\"}"), 1);

  // NotFound is an answer, not a database failure.
  auto missing = store_->SetActivatedAk("unknown", "name", "pub");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Sample("vtpm_attest_db_errors_total{op=\"SetActivatedAk\"}"), 0);
  EXPECT_EQ(Sample("vtpm_attest_db_seconds_count{op=\"SetActivatedAk\"}"), 1);
}

}  // namespace
}  // namespace vtpm::metrics
