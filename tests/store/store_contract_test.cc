// The Store contract (verifier/store/store.h), run against every backend:
// SQLite on a file and PostgreSQL on a fresh database of the shared test
// server.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/harness/postgres.h"
#include "tests/harness/process.h"
#include "tests/store/store_test_util.h"
#include "verifier/store/store.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using store_test::MakeIdentity;
using store_test::MakeVerdict;

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      url_ = "sqlite:" + dir_.Sub("verifier.db");
    } else {
      auto url = testing::SharedPostgresDatabase();
      ASSERT_TRUE(url.ok()) << url.status();
      url_ = *url;
    }
    auto store = OpenStore(url_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  Store& s() { return *store_; }

  IdentityRecord Get(const std::string& fp) {
    auto r = s().GetIdentity(fp);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || !r->has_value()) {
      ADD_FAILURE() << "no identity " << fp;
      return {};
    }
    return **r;
  }

  // Records a verdict that must be new; returns its seq.
  int64_t Record(const std::string& fp, const v1::Verdict& v,
                 const VerdictWrite& w = {}) {
    auto out = s().RecordVerdict(fp, v, w);
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return 0;
    EXPECT_TRUE(out->inserted);
    return out->seq;
  }

  testing::TempDir dir_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

std::string Name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}
INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest,
                         ::testing::Values("sqlite", "postgres"), Name);

// --- Identities
// ---------------------------------------------------------------

TEST_P(StoreContractTest, NewIdentityIsPendingWithoutStatus) {
  EXPECT_FALSE(s().GetIdentity("fp1")->has_value());
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1", 100)).ok());
  IdentityRecord r = Get("fp1");
  EXPECT_EQ(r.ek_fingerprint, "fp1");
  EXPECT_EQ(r.vm_uuid, "uuid-fp1");
  EXPECT_EQ(r.hostname, "host-fp1");
  EXPECT_EQ(r.policy, "default");
  EXPECT_EQ(r.ek_public, std::string("\x00\x01pub\xff\x00", 7));
  EXPECT_EQ(r.ek_certificate, std::string("\x30\x82\x00\x00cert\x00", 9));
  EXPECT_EQ(r.first_seen_unix, 100);
  EXPECT_EQ(r.last_seen_unix, 100);
  EXPECT_EQ(r.enrollment, v1::ENROLLMENT_PENDING);
  EXPECT_EQ(r.status, v1::RESULT_UNSPECIFIED);
  EXPECT_EQ(r.last_verdict_unix, 0);
  EXPECT_EQ(r.next_due_unix, 0);
  EXPECT_TRUE(r.ak_name.empty());
  EXPECT_TRUE(r.ak_public.empty());
  EXPECT_FALSE(r.clock.has_value());
  EXPECT_EQ(r.labels, (std::map<std::string, std::string>{{"zone", "eu-1"}}));
}

TEST_P(StoreContractTest, UpsertKeepsFirstSeenAkClockEnrollmentAndStatus) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1", 100)).ok());
  ASSERT_TRUE(s().SetActivatedAk("fp1", std::string("n\0me", 4), "akpub").ok());
  VerdictWrite w;
  w.clock = ClockState{1234, 2, 3};
  w.next_due_unix = 500;
  Record("fp1", MakeVerdict("v1", 150, v1::RESULT_PASS), w);

  IdentityRecord again = MakeIdentity("fp1", 200);
  again.hostname = "renamed";
  again.vm_uuid = "uuid-new";
  again.policy = "strict";
  again.labels = {{"zone", "eu-2"}, {"team", "db"}};
  again.ek_certificate.clear();
  // Fields the upsert must not take from the record.
  again.first_seen_unix = 1;
  again.ak_name = "other";
  again.enrollment = v1::ENROLLMENT_RETIRED;
  again.status = v1::RESULT_FAIL;
  again.clock = ClockState{1, 1, 1};
  again.next_due_unix = 9;
  ASSERT_TRUE(s().UpsertIdentity(again).ok());
  ASSERT_TRUE(s().UpsertIdentity(again).ok());  // idempotent

  IdentityRecord r = Get("fp1");
  EXPECT_EQ(r.hostname, "renamed");
  EXPECT_EQ(r.vm_uuid, "uuid-new");
  EXPECT_EQ(r.policy, "strict");
  EXPECT_EQ(r.labels, again.labels);
  EXPECT_TRUE(r.ek_certificate.empty());
  EXPECT_EQ(r.first_seen_unix, 100);
  EXPECT_EQ(r.last_seen_unix, 200);
  EXPECT_EQ(r.ak_name, std::string("n\0me", 4));
  EXPECT_EQ(r.ak_public, "akpub");
  EXPECT_EQ(r.enrollment, v1::ENROLLMENT_ACTIVE);
  EXPECT_EQ(r.status, v1::RESULT_PASS);
  EXPECT_EQ(r.last_verdict_unix, 150);
  EXPECT_EQ(r.next_due_unix, 500);
  ASSERT_TRUE(r.clock.has_value());
  EXPECT_EQ(r.clock->clock, 1234u);
  EXPECT_EQ(r.clock->reset_count, 2u);
  EXPECT_EQ(r.clock->restart_count, 3u);
}

TEST_P(StoreContractTest, SetActivatedAkSetsActive) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1")).ok());
  std::string name("\x00\x0b\xff\x00name", 8);
  std::string pub("\x00\x00pub\x00", 6);
  ASSERT_TRUE(s().SetActivatedAk("fp1", name, pub).ok());
  IdentityRecord r = Get("fp1");
  EXPECT_EQ(r.ak_name, name);
  EXPECT_EQ(r.ak_public, pub);
  EXPECT_EQ(r.enrollment, v1::ENROLLMENT_ACTIVE);
}

TEST_P(StoreContractTest, ReenrollClearsAkAndClockOtherStatesKeepThem) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1")).ok());
  ASSERT_TRUE(s().SetActivatedAk("fp1", "name", "pub").ok());
  VerdictWrite w;
  w.clock = ClockState{10, 1, 0};
  Record("fp1", MakeVerdict("v1", 150, v1::RESULT_PASS), w);

  ASSERT_TRUE(s().SetEnrollment("fp1", v1::ENROLLMENT_RETIRED).ok());
  IdentityRecord r = Get("fp1");
  EXPECT_EQ(r.enrollment, v1::ENROLLMENT_RETIRED);
  EXPECT_EQ(r.ak_name, "name");
  EXPECT_TRUE(r.clock.has_value());

  ASSERT_TRUE(s().SetEnrollment("fp1", v1::ENROLLMENT_REENROLL).ok());
  r = Get("fp1");
  EXPECT_EQ(r.enrollment, v1::ENROLLMENT_REENROLL);
  EXPECT_TRUE(r.ak_name.empty());
  EXPECT_TRUE(r.ak_public.empty());
  EXPECT_FALSE(r.clock.has_value());
  EXPECT_EQ(r.status, v1::RESULT_PASS);  // the status is not enrollment's
}

TEST_P(StoreContractTest, UnknownIdentitiesAreNotFound) {
  EXPECT_EQ(s().SetActivatedAk("nope", "n", "p").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(s().SetEnrollment("nope", v1::ENROLLMENT_ACTIVE).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(s().ForgetIdentity("nope").code(), absl::StatusCode::kNotFound);
  auto got = s().GetIdentity("nope");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
  auto by_vm = s().FindIdentitiesByVmUuid("nope");
  ASSERT_TRUE(by_vm.ok());
  EXPECT_TRUE(by_vm->empty());
  // Writes that fail leave nothing behind.
  EXPECT_FALSE(s().GetIdentity("nope")->has_value());
}

TEST_P(StoreContractTest, ForgetRemovesIdentityKeepsVerdicts) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1")).ok());
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp2")).ok());
  Record("fp1", MakeVerdict("v1", 150, v1::RESULT_PASS, "uuid-fp1"));
  ASSERT_TRUE(s().ForgetIdentity("fp1").ok());
  EXPECT_FALSE(s().GetIdentity("fp1")->has_value());
  EXPECT_TRUE(s().GetIdentity("fp2")->has_value());
  VerdictQuery q;
  q.ek_fingerprint = "fp1";
  auto verdicts = s().QueryVerdicts(q);
  ASSERT_TRUE(verdicts.ok());
  ASSERT_EQ(verdicts->size(), 1u);
  EXPECT_EQ((*verdicts)[0].verdict_id(), "v1");
  EXPECT_EQ(s().ForgetIdentity("fp1").code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreContractTest, FindByVmUuidMostRecentlySeenFirst) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("a", 100, "vm-1")).ok());
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("b", 300, "vm-1")).ok());
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("c", 200, "vm-1")).ok());
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("d", 400, "vm-2")).ok());
  auto found = s().FindIdentitiesByVmUuid("vm-1");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0].ek_fingerprint, "b");
  EXPECT_EQ((*found)[1].ek_fingerprint, "c");
  EXPECT_EQ((*found)[2].ek_fingerprint, "a");
}

TEST_P(StoreContractTest, LabelsAndBlobsRoundTrip) {
  IdentityRecord r = MakeIdentity("fp1");
  r.labels = {{"quote\"s", "back\\slash"},
              {"unicode", "z\xc3\xbcrich \xe2\x9c\x93"},
              {"empty", ""},
              {"newline", "a\nb\t{}"}};
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  r.ek_public = all_bytes;
  r.ek_certificate = all_bytes + all_bytes;
  ASSERT_TRUE(s().UpsertIdentity(r).ok());
  ASSERT_TRUE(s().SetActivatedAk("fp1", all_bytes, std::string(3, '\0')).ok());
  IdentityRecord got = Get("fp1");
  EXPECT_EQ(got.labels, r.labels);
  EXPECT_EQ(got.ek_public, all_bytes);
  EXPECT_EQ(got.ek_certificate, all_bytes + all_bytes);
  EXPECT_EQ(got.ak_name, all_bytes);
  EXPECT_EQ(got.ak_public, std::string(3, '\0'));

  r.labels.clear();
  ASSERT_TRUE(s().UpsertIdentity(r).ok());
  EXPECT_TRUE(Get("fp1").labels.empty());
}

TEST_P(StoreContractTest, ListIdentitiesFiltersAndPages) {
  // fingerprints a..f; statuses via verdicts; policies alternate.
  const char* fps[] = {"a", "b", "c", "d", "e", "f"};
  for (int i = 0; i < 6; ++i) {
    IdentityRecord r = MakeIdentity(fps[i], 100 + i, i < 2 ? "vm-x" : "",
                                    i % 2 ? "odd" : "even");
    ASSERT_TRUE(s().UpsertIdentity(r).ok());
  }
  Record("a", MakeVerdict("va", 1, v1::RESULT_PASS));
  Record("b", MakeVerdict("vb", 1, v1::RESULT_FAIL));
  Record("c", MakeVerdict("vc", 1, v1::RESULT_PASS));
  Record("e", MakeVerdict("ve", 1, v1::RESULT_PASS));

  auto fps_of = [](const std::vector<IdentityRecord>& v) {
    std::vector<std::string> out;
    for (const auto& r : v) out.push_back(r.ek_fingerprint);
    return out;
  };
  using V = std::vector<std::string>;
  IdentityQuery q;
  EXPECT_EQ(fps_of(*s().ListIdentities(q)), (V{"a", "b", "c", "d", "e", "f"}));
  q.status = v1::RESULT_PASS;
  EXPECT_EQ(fps_of(*s().ListIdentities(q)), (V{"a", "c", "e"}));
  q.policy = "even";
  EXPECT_EQ(fps_of(*s().ListIdentities(q)), (V{"a", "c", "e"}));
  q.status = v1::RESULT_UNSPECIFIED;
  q.policy = "odd";
  EXPECT_EQ(fps_of(*s().ListIdentities(q)), (V{"b", "d", "f"}));
  q.policy.clear();
  q.vm_uuid = "vm-x";
  EXPECT_EQ(fps_of(*s().ListIdentities(q)), (V{"a", "b"}));

  // Paging: two at a time, each page after the previous page's last.
  IdentityQuery page;
  page.limit = 2;
  V seen;
  for (int i = 0; i < 4; ++i) {
    auto got = s().ListIdentities(page);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_LE(got->size(), 2u);
    if (got->empty()) break;
    for (const auto& r : *got) seen.push_back(r.ek_fingerprint);
    page.after_fingerprint = got->back().ek_fingerprint;
  }
  EXPECT_EQ(seen, (V{"a", "b", "c", "d", "e", "f"}));
}

TEST_P(StoreContractTest, CountIdentitiesByStatus) {
  auto empty = s().CountIdentitiesByStatus();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  for (const char* fp : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(s().UpsertIdentity(MakeIdentity(fp)).ok());
  }
  Record("a", MakeVerdict("va", 1, v1::RESULT_PASS));
  Record("b", MakeVerdict("vb", 1, v1::RESULT_PASS));
  Record("c", MakeVerdict("vc", 1, v1::RESULT_FAIL));
  auto counts = s().CountIdentitiesByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::map<v1::Result, int64_t>{{v1::RESULT_UNSPECIFIED, 1},
                                                    {v1::RESULT_PASS, 2},
                                                    {v1::RESULT_FAIL, 1}}));
}

// --- Verdicts
// -----------------------------------------------------------------

TEST_P(StoreContractTest, RecordVerdictMovesIdentityAndReportsPrevious) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1")).ok());
  VerdictWrite w;
  w.clock = ClockState{100, 1, 2};
  w.next_due_unix = 400;
  auto first =
      s().RecordVerdict("fp1", MakeVerdict("v1", 200, v1::RESULT_PASS), w);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->inserted);
  EXPECT_EQ(first->previous_status, v1::RESULT_UNSPECIFIED);
  EXPECT_GT(first->seq, 0);
  IdentityRecord r = Get("fp1");
  EXPECT_EQ(r.status, v1::RESULT_PASS);
  EXPECT_EQ(r.last_verdict_unix, 200);
  EXPECT_EQ(r.next_due_unix, 400);
  ASSERT_TRUE(r.clock.has_value());
  EXPECT_EQ(r.clock->clock, 100u);

  // No clock in the write: the stored clock stays; next_due follows.
  auto second = s().RecordVerdict(
      "fp1", MakeVerdict("v2", 300, v1::RESULT_FAIL), VerdictWrite{});
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->inserted);
  EXPECT_EQ(second->previous_status, v1::RESULT_PASS);
  EXPECT_GT(second->seq, first->seq);
  r = Get("fp1");
  EXPECT_EQ(r.status, v1::RESULT_FAIL);
  EXPECT_EQ(r.last_verdict_unix, 300);
  EXPECT_EQ(r.next_due_unix, 0);
  ASSERT_TRUE(r.clock.has_value());
  EXPECT_EQ(r.clock->restart_count, 2u);

  auto third = s().RecordVerdict(
      "fp1", MakeVerdict("v3", 301, v1::RESULT_ERROR), VerdictWrite{});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->previous_status, v1::RESULT_FAIL);
}

TEST_P(StoreContractTest, RecordVerdictIsIdempotentPerId) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1")).ok());
  VerdictWrite w;
  w.next_due_unix = 400;
  auto first =
      s().RecordVerdict("fp1", MakeVerdict("v1", 200, v1::RESULT_PASS), w);
  ASSERT_TRUE(first.ok());
  // The same id again, even with other content, changes nothing.
  VerdictWrite w2;
  w2.next_due_unix = 999;
  w2.clock = ClockState{5, 5, 5};
  auto again =
      s().RecordVerdict("fp1", MakeVerdict("v1", 250, v1::RESULT_FAIL), w2);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->inserted);
  EXPECT_EQ(again->seq, first->seq);
  IdentityRecord r = Get("fp1");
  EXPECT_EQ(r.status, v1::RESULT_PASS);
  EXPECT_EQ(r.last_verdict_unix, 200);
  EXPECT_EQ(r.next_due_unix, 400);
  EXPECT_FALSE(r.clock.has_value());
  auto feed = s().VerdictsAfter(0, 10);
  ASSERT_TRUE(feed.ok());
  ASSERT_EQ(feed->size(), 1u);
  EXPECT_EQ((*feed)[0].verdict.result(), v1::RESULT_PASS);
  EXPECT_EQ(*s().LastVerdictSeq(), first->seq);
}

TEST_P(StoreContractTest, StaleVerdictOnlyAppends) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1")).ok());
  VerdictWrite w;
  w.next_due_unix = 400;
  Record("fp1", MakeVerdict("v1", 200, v1::RESULT_PASS), w);
  auto marked = s().MarkStale(500, 10);
  ASSERT_TRUE(marked.ok());
  ASSERT_EQ(marked->size(), 1u);

  VerdictWrite w2;
  w2.next_due_unix = 9999;
  w2.clock = ClockState{1, 1, 1};
  auto out = s().RecordVerdict(
      "fp1", MakeVerdict("stale1", 500, v1::RESULT_STALE), w2);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->inserted);
  EXPECT_EQ(out->previous_status, v1::RESULT_STALE);
  IdentityRecord r = Get("fp1");
  EXPECT_EQ(r.status, v1::RESULT_STALE);
  EXPECT_EQ(r.last_verdict_unix, 200);
  EXPECT_EQ(r.next_due_unix, 400);
  EXPECT_FALSE(r.clock.has_value());
  VerdictQuery q;
  q.result = v1::RESULT_STALE;
  EXPECT_EQ(s().QueryVerdicts(q)->size(), 1u);

  // The next real verdict replaces STALE.
  auto next =
      s().RecordVerdict("fp1", MakeVerdict("v2", 600, v1::RESULT_PASS), {});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->previous_status, v1::RESULT_STALE);
  EXPECT_EQ(Get("fp1").status, v1::RESULT_PASS);
}

TEST_P(StoreContractTest, VerdictForUnknownIdentityIsOnlyAppended) {
  auto out = s().RecordVerdict("ghost", MakeVerdict("v1", 200, v1::RESULT_FAIL),
                               VerdictWrite{});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->inserted);
  EXPECT_EQ(out->previous_status, v1::RESULT_UNSPECIFIED);
  EXPECT_FALSE(s().GetIdentity("ghost")->has_value());
  EXPECT_EQ(s().VerdictsAfter(0, 10)->size(), 1u);
}

TEST_P(StoreContractTest, VerdictWithoutIdIsRejected) {
  auto out = s().RecordVerdict("fp", MakeVerdict("", 20, v1::RESULT_FAIL), {});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*s().LastVerdictSeq(), 0);
}

TEST_P(StoreContractTest, VerdictFeedIsOrderedAndLimited) {
  auto last = s().LastVerdictSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 0);
  EXPECT_TRUE(s().VerdictsAfter(0, 10)->empty());
  std::vector<int64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    // verified_at deliberately not in insertion order: the feed follows seq.
    seqs.push_back(Record(
        "fp", MakeVerdict("v" + std::to_string(i), 1000 - i, v1::RESULT_PASS)));
  }
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_EQ(std::set<int64_t>(seqs.begin(), seqs.end()).size(), 5u);

  auto first = s().VerdictsAfter(0, 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*first)[i].seq, seqs[i]);
    EXPECT_EQ((*first)[i].verdict.verdict_id(), "v" + std::to_string(i));
  }
  auto rest = s().VerdictsAfter(first->back().seq, 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].seq, seqs[3]);
  EXPECT_EQ((*rest)[1].verdict.verdict_id(), "v4");
  EXPECT_EQ((*rest)[1].verdict.reasons(0).code(), v1::NONCE_MISMATCH);
  EXPECT_EQ((*rest)[1].verdict.evidence().clock(), 1234u);
  EXPECT_TRUE(s().VerdictsAfter(seqs[4], 10)->empty());
  EXPECT_EQ(*s().LastVerdictSeq(), seqs[4]);
}

TEST_P(StoreContractTest, QueryVerdictsFiltersNewestFirst) {
  Record("fp1", MakeVerdict("a", 100, v1::RESULT_PASS, "vm-1"));
  Record("fp1", MakeVerdict("b", 200, v1::RESULT_FAIL, "vm-1"));
  Record("fp2", MakeVerdict("c", 150, v1::RESULT_PASS, "vm-2"));
  Record("fp1", MakeVerdict("d", 300, v1::RESULT_PASS, "vm-1"));
  Record("fp1", MakeVerdict("e", 300, v1::RESULT_ERROR, "vm-1"));

  auto ids = [&](const VerdictQuery& q) {
    std::vector<std::string> out;
    auto got = s().QueryVerdicts(q);
    EXPECT_TRUE(got.ok()) << got.status();
    if (got.ok()) {
      for (const auto& v : *got) out.push_back(v.verdict_id());
    }
    return out;
  };
  using V = std::vector<std::string>;
  VerdictQuery q;
  // Same verified_at: the later insertion first.
  EXPECT_EQ(ids(q), (V{"e", "d", "b", "c", "a"}));
  q.ek_fingerprint = "fp1";
  EXPECT_EQ(ids(q), (V{"e", "d", "b", "a"}));
  q.result = v1::RESULT_PASS;
  EXPECT_EQ(ids(q), (V{"d", "a"}));
  q.since_unix = 150;
  EXPECT_EQ(ids(q), (V{"d"}));
  VerdictQuery by_vm;
  by_vm.vm_uuid = "vm-2";
  EXPECT_EQ(ids(by_vm), (V{"c"}));
  VerdictQuery limited;
  limited.limit = 2;
  EXPECT_EQ(ids(limited), (V{"e", "d"}));
  VerdictQuery since;
  since.since_unix = 200;
  EXPECT_EQ(ids(since), (V{"e", "d", "b"}));
}

// --- MarkStale
// ----------------------------------------------------------------

TEST_P(StoreContractTest, MarkStaleTakesOnlyOverdueDecidedIdentities) {
  struct Case {
    const char* fp;
    v1::Result result;  // UNSPECIFIED: no verdict
    int64_t due;
  };
  const Case cases[] = {
      {"pass", v1::RESULT_PASS, 50},        {"fail", v1::RESULT_FAIL, 60},
      {"error", v1::RESULT_ERROR, 70},      {"later", v1::RESULT_PASS, 200},
      {"exact", v1::RESULT_PASS, 100},      {"nodue", v1::RESULT_PASS, 0},
      {"never", v1::RESULT_UNSPECIFIED, 0},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(s().UpsertIdentity(MakeIdentity(c.fp)).ok());
    if (c.result == v1::RESULT_UNSPECIFIED) continue;
    VerdictWrite w;
    w.next_due_unix = c.due;
    Record(c.fp, MakeVerdict(std::string("v-") + c.fp, 10, c.result), w);
  }
  auto marked = s().MarkStale(100, 10);
  ASSERT_TRUE(marked.ok()) << marked.status();
  std::map<std::string, v1::Result> got;
  for (const auto& r : *marked) {
    got[r.ek_fingerprint] = r.status;
    EXPECT_EQ(r.hostname, "host-" + r.ek_fingerprint);  // whole records
    EXPECT_EQ(r.ek_public, std::string("\x00\x01pub\xff\x00", 7));
  }
  EXPECT_EQ(got,
            (std::map<std::string, v1::Result>{{"pass", v1::RESULT_PASS},
                                               {"fail", v1::RESULT_FAIL},
                                               {"error", v1::RESULT_ERROR}}));
  for (const char* fp : {"pass", "fail", "error"}) {
    EXPECT_EQ(Get(fp).status, v1::RESULT_STALE) << fp;
  }
  EXPECT_EQ(Get("later").status, v1::RESULT_PASS);
  EXPECT_EQ(Get("exact").status, v1::RESULT_PASS);
  EXPECT_EQ(Get("nodue").status, v1::RESULT_PASS);
  EXPECT_EQ(Get("never").status, v1::RESULT_UNSPECIFIED);

  // Already stale: nothing more to take.
  auto again = s().MarkStale(100, 10);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_TRUE(s().MarkStale(1000, 0)->empty());
}

TEST_P(StoreContractTest, MarkStaleRespectsLimit) {
  for (int i = 0; i < 5; ++i) {
    std::string fp = "fp" + std::to_string(i);
    ASSERT_TRUE(s().UpsertIdentity(MakeIdentity(fp)).ok());
    VerdictWrite w;
    w.next_due_unix = 10 + i;
    Record(fp, MakeVerdict("v" + fp, 1, v1::RESULT_PASS), w);
  }
  auto a = s().MarkStale(100, 2);
  auto b = s().MarkStale(100, 2);
  auto c = s().MarkStale(100, 2);
  auto d = s().MarkStale(100, 2);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(a->size(), 2u);
  EXPECT_EQ(b->size(), 2u);
  EXPECT_EQ(c->size(), 1u);
  EXPECT_TRUE(d->empty());
}

// Replicas racing: two stores on the same database, two threads each. Every
// overdue identity goes to exactly one caller.
TEST_P(StoreContractTest, ConcurrentMarkStaleHandsOutEachIdentityOnce) {
  constexpr int kIdentities = 120;
  for (int i = 0; i < kIdentities; ++i) {
    std::string fp = "fp" + std::to_string(1000 + i);
    ASSERT_TRUE(s().UpsertIdentity(MakeIdentity(fp)).ok());
    VerdictWrite w;
    w.next_due_unix = 10 + i % 7;
    Record(fp, MakeVerdict("v" + fp, 1, v1::RESULT_PASS), w);
  }
  auto other = OpenStore(url_);
  ASSERT_TRUE(other.ok()) << other.status();
  Store* stores[] = {store_.get(), other->get()};

  std::vector<std::vector<std::string>> taken(4);
  std::vector<absl::Status> errors(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (true) {
        auto got = stores[t % 2]->MarkStale(100, 7);
        if (!got.ok()) {
          errors[t] = got.status();
          return;
        }
        if (got->empty()) return;
        for (const auto& r : *got) {
          EXPECT_EQ(r.status, v1::RESULT_PASS);
          taken[t].push_back(r.ek_fingerprint);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::multiset<std::string> all;
  for (int t = 0; t < 4; ++t) {
    EXPECT_TRUE(errors[t].ok()) << errors[t];
    all.insert(taken[t].begin(), taken[t].end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kIdentities));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(),
            static_cast<size_t>(kIdentities));
  auto counts = s().CountIdentitiesByStatus();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[v1::RESULT_STALE], kIdentities);
}

// A batch behaves as its verdicts written one by one, in order: outcomes
// chain within the batch, a repeated id lands once, and a bad element fails
// alone.
TEST_P(StoreContractTest, RecordVerdictsBatchActsAsOneByOne) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1")).ok());
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp2")).ok());
  const std::string fp1 = "fp1", fp2 = "fp2", ghost = "ghost";
  VerdictWrite due400, due500, clocked;
  due400.next_due_unix = 400;
  due500.next_due_unix = 500;
  clocked.next_due_unix = 600;
  clocked.clock = ClockState{77, 3, 4};
  const v1::Verdict a = MakeVerdict("a", 200, v1::RESULT_PASS);
  const v1::Verdict b = MakeVerdict("b", 210, v1::RESULT_PASS);
  const v1::Verdict c = MakeVerdict("c", 220, v1::RESULT_FAIL);
  const v1::Verdict c_again = MakeVerdict("c", 230, v1::RESULT_PASS);
  const v1::Verdict no_id = MakeVerdict("", 240, v1::RESULT_PASS);
  const v1::Verdict d = MakeVerdict("d", 250, v1::RESULT_PASS);
  const v1::Verdict e = MakeVerdict("e", 260, v1::RESULT_ERROR);
  std::vector<VerdictToRecord> batch = {
      {&fp1, &a, &due400},        // first verdict of fp1
      {&fp1, &b, &clocked},       // PASS again: status unchanged, clock set
      {&fp2, &c, &due500},        // fp2 FAIL
      {&fp2, &c_again, &due400},  // same id: nothing changes
      {&fp1, &no_id, &due400},    // rejected alone
      {&ghost, &d, &due400},      // no identity: only appended
      {&fp2, &e, &due400},        // FAIL -> ERROR
  };
  auto out = s().RecordVerdicts(batch);
  ASSERT_EQ(out.size(), batch.size());
  for (size_t i : {0, 1, 2, 3, 5, 6}) {
    ASSERT_TRUE(out[i].ok()) << i << ": " << out[i].status();
  }
  EXPECT_EQ(out[4].status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_TRUE(out[0]->inserted);
  EXPECT_EQ(out[0]->previous_status, v1::RESULT_UNSPECIFIED);
  EXPECT_TRUE(out[1]->inserted);
  EXPECT_EQ(out[1]->previous_status, v1::RESULT_PASS);
  EXPECT_GT(out[1]->seq, out[0]->seq);
  EXPECT_TRUE(out[2]->inserted);
  EXPECT_FALSE(out[3]->inserted);
  EXPECT_EQ(out[3]->seq, out[2]->seq);
  EXPECT_TRUE(out[5]->inserted);
  EXPECT_EQ(out[5]->previous_status, v1::RESULT_UNSPECIFIED);
  EXPECT_TRUE(out[6]->inserted);
  EXPECT_EQ(out[6]->previous_status, v1::RESULT_FAIL);

  IdentityRecord r1 = Get("fp1");
  EXPECT_EQ(r1.status, v1::RESULT_PASS);
  EXPECT_EQ(r1.last_verdict_unix, 210);
  EXPECT_EQ(r1.next_due_unix, 600);
  ASSERT_TRUE(r1.clock.has_value());
  EXPECT_EQ(r1.clock->clock, 77u);
  EXPECT_EQ(r1.clock->reset_count, 3u);
  IdentityRecord r2 = Get("fp2");
  EXPECT_EQ(r2.status, v1::RESULT_ERROR);
  EXPECT_EQ(r2.last_verdict_unix, 260);
  EXPECT_FALSE(s().GetIdentity("ghost")->has_value());

  auto feed = s().VerdictsAfter(0, 100);
  ASSERT_TRUE(feed.ok());
  std::vector<std::string> ids;
  for (const auto& v : *feed) ids.push_back(v.verdict.verdict_id());
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  // The stored "c" is the first one written.
  EXPECT_EQ((*feed)[2].verdict.result(), v1::RESULT_FAIL);
  EXPECT_TRUE(s().RecordVerdicts({}).empty());
}

// Many writers on two stores: every verdict lands once, seqs are distinct.
TEST_P(StoreContractTest, ConcurrentRecordVerdictsGetDistinctSeqs) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp")).ok());
  auto other = OpenStore(url_);
  ASSERT_TRUE(other.ok()) << other.status();
  Store* stores[] = {store_.get(), other->get()};
  std::vector<std::vector<int64_t>> seqs(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto out = stores[t % 2]->RecordVerdict(
            "fp",
            MakeVerdict(absl::StrCat("t", t, "-", i), 10, v1::RESULT_PASS), {});
        ASSERT_TRUE(out.ok()) << out.status();
        EXPECT_TRUE(out->inserted);
        seqs[t].push_back(out->seq);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (const auto& v : seqs) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(s().VerdictsAfter(0, 1000)->size(), 100u);
  EXPECT_EQ(*s().LastVerdictSeq(), *all.rbegin());
}

// --- Failed evidence, audit, requests, policies
// ---------------------------------

TEST_P(StoreContractTest, FailedEvidenceRoundTripsAndPrunes) {
  FailedEvidence e;
  e.verdict_id = "v1";
  e.ek_fingerprint = "fp";
  e.created_unix = 100;
  e.hello = std::string("\x0a\x00\xff hello\x00", 10);
  e.quote_response = std::string(1000, '\0') + "end";
  ASSERT_TRUE(s().RecordFailedEvidence(e).ok());
  FailedEvidence other = e;
  other.hello = "replaced?";
  ASSERT_TRUE(s().RecordFailedEvidence(other).ok());  // idempotent per id
  FailedEvidence e2 = e;
  e2.verdict_id = "v2";
  e2.created_unix = 200;
  e2.quote_response.clear();
  ASSERT_TRUE(s().RecordFailedEvidence(e2).ok());

  auto got = s().GetFailedEvidence("v1");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->ek_fingerprint, "fp");
  EXPECT_EQ((*got)->created_unix, 100);
  EXPECT_EQ((*got)->hello, e.hello);
  EXPECT_EQ((*got)->quote_response, e.quote_response);
  EXPECT_TRUE((*s().GetFailedEvidence("v2"))->quote_response.empty());
  EXPECT_FALSE(s().GetFailedEvidence("nope")->has_value());

  auto pruned = s().PruneFailedEvidence(150);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 1);
  EXPECT_FALSE(s().GetFailedEvidence("v1")->has_value());
  EXPECT_TRUE(s().GetFailedEvidence("v2")->has_value());
  EXPECT_EQ(*s().PruneFailedEvidence(150), 0);
}

TEST_P(StoreContractTest, AuditIsNewestFirst) {
  EXPECT_TRUE(s().ListAudit(10)->empty());
  std::vector<int64_t> seqs;
  for (int i = 0; i < 3; ++i) {
    AuditRecord a;
    a.at_unix = 100 + i;
    a.actor = "alice";
    a.action = "forget";
    a.target = "fp" + std::to_string(i);
    a.detail = "why \"not\"";
    auto seq = s().AppendAudit(a);
    ASSERT_TRUE(seq.ok()) << seq.status();
    seqs.push_back(*seq);
  }
  EXPECT_LT(seqs[0], seqs[1]);
  EXPECT_LT(seqs[1], seqs[2]);
  auto list = s().ListAudit(2);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].seq, seqs[2]);
  EXPECT_EQ((*list)[0].target, "fp2");
  EXPECT_EQ((*list)[0].at_unix, 102);
  EXPECT_EQ((*list)[0].actor, "alice");
  EXPECT_EQ((*list)[0].action, "forget");
  EXPECT_EQ((*list)[0].detail, "why \"not\"");
  EXPECT_EQ((*list)[1].seq, seqs[1]);
}

TEST_P(StoreContractTest, AttestRequestsFeedAndPrune) {
  EXPECT_EQ(*s().LastAttestRequestSeq(), 0);
  auto a = s().RequestAttestation("fp-a", 100);
  auto b = s().RequestAttestation("fp-b", 200);
  auto c = s().RequestAttestation("fp-a", 300);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_LT(*a, *b);
  EXPECT_LT(*b, *c);
  EXPECT_EQ(*s().LastAttestRequestSeq(), *c);
  auto after = s().AttestRequestsAfter(*a, 10);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].seq, *b);
  EXPECT_EQ((*after)[0].ek_fingerprint, "fp-b");
  EXPECT_EQ((*after)[0].requested_unix, 200);
  EXPECT_EQ((*after)[1].seq, *c);
  EXPECT_EQ(s().AttestRequestsAfter(0, 1)->size(), 1u);

  ASSERT_TRUE(s().PruneAttestRequests(250).ok());
  auto left = s().AttestRequestsAfter(0, 10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].seq, *c);
  // Seqs are never reused after a prune.
  auto d = s().RequestAttestation("fp-c", 400);
  ASSERT_TRUE(d.ok());
  EXPECT_GT(*d, *c);
}

TEST_P(StoreContractTest, PolicyRevisionsIncreaseAndReplaceByName) {
  EXPECT_EQ(*s().PolicyRevision(), 0);
  EXPECT_TRUE(s().ListStoredPolicies()->empty());
  StoredPolicy p{"web", "{\"a\":1}", 100, "alice", 0};
  auto r1 = s().PutPolicy(p);
  ASSERT_TRUE(r1.ok()) << r1.status();
  auto r2 = s().PutPolicy({"db", "{}", 110, "bob", 0});
  ASSERT_TRUE(r2.ok());
  p.json = "{\"a\":2}";
  p.updated_unix = 120;
  p.actor = "carol";
  auto r3 = s().PutPolicy(p);
  ASSERT_TRUE(r3.ok());
  EXPECT_GT(*r1, 0);
  EXPECT_GT(*r2, *r1);
  EXPECT_GT(*r3, *r2);
  EXPECT_EQ(*s().PolicyRevision(), *r3);
  auto list = s().ListStoredPolicies();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "db");
  EXPECT_EQ((*list)[0].revision, *r2);
  EXPECT_EQ((*list)[1].name, "web");
  EXPECT_EQ((*list)[1].json, "{\"a\":2}");
  EXPECT_EQ((*list)[1].updated_unix, 120);
  EXPECT_EQ((*list)[1].actor, "carol");
  EXPECT_EQ((*list)[1].revision, *r3);
}

TEST_P(StoreContractTest, EverythingSurvivesReopen) {
  ASSERT_TRUE(s().UpsertIdentity(MakeIdentity("fp1")).ok());
  int64_t seq = Record("fp1", MakeVerdict("v1", 10, v1::RESULT_PASS));
  ASSERT_TRUE(s().PutPolicy({"p", "{}", 1, "a", 0}).ok());
  store_.reset();
  auto again = OpenStore(url_);
  ASSERT_TRUE(again.ok()) << again.status();
  store_ = std::move(*again);
  EXPECT_EQ(Get("fp1").status, v1::RESULT_PASS);
  EXPECT_EQ(*s().LastVerdictSeq(), seq);
  EXPECT_EQ(s().ListStoredPolicies()->size(), 1u);
  EXPECT_GT(Record("fp1", MakeVerdict("v2", 11, v1::RESULT_PASS)), seq);
}

}  // namespace
}  // namespace vtpm::verifier
