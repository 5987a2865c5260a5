// The Hello checks that run before anything is parsed or kept: the whole
// message's size, counts of repeated fields, unknown fields, and the
// character sets of every string the guest supplies.
#include "verifier/service/hello_checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/reason.h"
#include "google/protobuf/unknown_field_set.h"
#include "verifier/service/limits.h"
#include "verifier/service/message_checks.h"

namespace vtpm::verifier {
namespace {

namespace v1 = vtpm_attest::v1;
using ::testing::HasSubstr;
using ::testing::Not;

v1::Hello GoodHello() {
  v1::Hello h;
  h.set_agent_version("0.1.0");
  h.mutable_host()->set_os("linux");
  h.mutable_host()->set_os_version("6.1.0-27-cloud-amd64");
  h.mutable_host()->set_hostname("web-01.example.com");
  h.mutable_host()->set_vm_uuid("5c0b1a52-0000-4000-8000-00000000000A");
  h.mutable_host()->set_machine_id("0123456789abcdef0123456789abcdef");
  h.mutable_tpm()->set_family("2.0");
  h.mutable_tpm()->set_manufacturer("IBM");
  h.mutable_tpm()->set_vendor("SW   TPM");
  (*h.mutable_labels())["image"] = "debian-12";
  (*h.mutable_labels())["k8s.io/zone"] = "eu-west-1a (rack 7)";
  return h;
}

v1::ReasonCode CodeOf(const absl::Status& s) { return ReasonOf(s); }

TEST(HelloChecksTest, AGoodHelloPasses) {
  v1::Hello h = GoodHello();
  EXPECT_TRUE(CheckHelloSizes(h).ok());
  EXPECT_TRUE(CheckHelloText(h).ok());
  v1::AgentMessage m;
  *m.mutable_hello() = h;
  EXPECT_TRUE(CheckNoUnknownFields(m).ok());
}

TEST(HelloChecksTest, TheWholeMessageIsBounded) {
  v1::Hello h = GoodHello();
  // Eight chain certificates of 15 KiB each: every one within its own
  // limit, the whole far above kMaxHelloBytes.
  for (int i = 0; i < 8; ++i) {
    h.mutable_ek()->add_chain_certificates(std::string(15 << 10, 'c'));
  }
  absl::Status s = CheckHelloSizes(h);
  EXPECT_EQ(CodeOf(s), v1::OVERSIZED_MESSAGE);
  EXPECT_THAT(s.message(), HasSubstr("(whole message)"));
}

TEST(HelloChecksTest, UnknownBytesCountTowardsTheWholeMessage) {
  v1::Hello h = GoodHello();
  h.GetReflection()->MutableUnknownFields(&h)->AddLengthDelimited(
      1000, std::string(kMaxHelloBytes, 'u'));
  EXPECT_EQ(CodeOf(CheckHelloSizes(h)), v1::OVERSIZED_MESSAGE);
}

TEST(HelloChecksTest, RepeatedFieldsAreCounted) {
  v1::Hello h = GoodHello();
  for (int i = 0; i < 9; ++i) {
    h.mutable_tpm()->add_pcr_banks(v1::HASH_ALGORITHM_SHA256);
  }
  absl::Status s = CheckHelloSizes(h);
  EXPECT_EQ(CodeOf(s), v1::OVERSIZED_MESSAGE);
  EXPECT_THAT(s.message(), HasSubstr("pcr_banks"));
  h = GoodHello();
  for (int i = 0; i < 9; ++i) h.mutable_ek()->add_chain_certificates("x");
  EXPECT_EQ(CodeOf(CheckHelloSizes(h)), v1::OVERSIZED_MESSAGE);
  h = GoodHello();
  for (int i = 0; i < 65; ++i) {
    (*h.mutable_labels())["k" + std::to_string(i)] = "v";
  }
  EXPECT_EQ(CodeOf(CheckHelloSizes(h)), v1::OVERSIZED_MESSAGE);
  h = GoodHello();
  (*h.mutable_labels())[std::string(64, 'k')] = "v";
  EXPECT_EQ(CodeOf(CheckHelloSizes(h)), v1::OVERSIZED_MESSAGE);
  h = GoodHello();
  h.mutable_host()->set_hostname(std::string(254, 'h'));
  EXPECT_EQ(CodeOf(CheckHelloSizes(h)), v1::OVERSIZED_MESSAGE);
}

TEST(HelloChecksTest, UnknownFieldsAnywhereAreRefused) {
  v1::AgentMessage m;
  *m.mutable_hello() = GoodHello();
  auto* host = m.mutable_hello()->mutable_host();
  host->GetReflection()->MutableUnknownFields(host)->AddVarint(99, 1);
  absl::Status s = CheckNoUnknownFields(m);
  EXPECT_EQ(CodeOf(s), v1::MALFORMED_MESSAGE);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("AgentMessage.hello.host"),
                                 HasSubstr("numbered 99")));

  // Inside a map entry, protobuf's parser drops unknown fields itself:
  // nothing of them is kept, so there is nothing to refuse or store.
  v1::Hello h = GoodHello();
  h.clear_labels();
  std::string wire = h.SerializeAsString();
  // labels (field 6) entry {key(1)="a", value(2)="b", 7: varint 1}
  const std::string entry(
      "\x0a\x01"
      "a"
      "\x12\x01"
      "b"
      "\x38\x01",
      8);
  wire += std::string("\x32") + static_cast<char>(entry.size()) + entry;
  v1::AgentMessage parsed;
  ASSERT_TRUE(parsed.mutable_hello()->ParseFromString(wire));
  EXPECT_TRUE(CheckNoUnknownFields(parsed).ok());
  EXPECT_EQ(parsed.hello().labels().at("a"), "b");
  EXPECT_LT(parsed.hello().ByteSizeLong(), wire.size());

  // And in a quote response.
  v1::AgentMessage q;
  auto* bank = q.mutable_quote_response()->add_pcrs();
  bank->set_hash(v1::HASH_ALGORITHM_SHA256);
  bank->GetReflection()->MutableUnknownFields(bank)->AddFixed32(50, 7);
  EXPECT_EQ(CodeOf(CheckNoUnknownFields(q)), v1::MALFORMED_MESSAGE);
}

TEST(HelloChecksTest, GuestTextMustBeInItsCharacterSet) {
  struct Case {
    const char* what;
    void (*mutate)(v1::Hello*);
    const char* field;
  };
  const Case cases[] = {
      {"carriage return and a fake PASS in the hostname",
       [](v1::Hello* h) { h->mutable_host()->set_hostname("vm\r PASS"); },
       "host.hostname"},
      {"escape sequence in a label value",
       [](v1::Hello* h) {
         (*h->mutable_labels())["image"] = "x\x1b]0;owned\x07";
       },
       "labels[image]"},
      {"OSC 52 clipboard write in a label value",
       [](v1::Hello* h) {
         (*h->mutable_labels())["t"] = "\x1b]52;c;ZWNobyBvd25lZA==\x07";
       },
       "labels[t]"},
      {"newline in a label key",
       [](v1::Hello* h) { (*h->mutable_labels())["a\nb"] = "v"; },
       "labels key"},
      {"label key starting with a dot",
       [](v1::Hello* h) { (*h->mutable_labels())[".hidden"] = "v"; },
       "labels key"},
      {"empty label key",
       [](v1::Hello* h) { (*h->mutable_labels())[""] = "v"; }, "labels key"},
      {"UTF-8 bidi override in a label value",
       [](v1::Hello* h) { (*h->mutable_labels())["t"] = "abc\xe2\x80\xae"; },
       "labels[t]"},
      {"NUL in the OS version",
       [](v1::Hello* h) {
         h->mutable_host()->set_os_version(std::string("6.1\0x", 5));
       },
       "host.os_version"},
      {"upper case OS name",
       [](v1::Hello* h) { h->mutable_host()->set_os("Linux"); }, "host.os"},
      {"VM UUID that is not a UUID",
       [](v1::Hello* h) { h->mutable_host()->set_vm_uuid("../../etc"); },
       "host.vm_uuid"},
      {"machine id with a space",
       [](v1::Hello* h) { h->mutable_host()->set_machine_id("ab cd"); },
       "host.machine_id"},
      {"hostname starting with a dash",
       [](v1::Hello* h) { h->mutable_host()->set_hostname("-rf"); },
       "host.hostname"},
      {"control byte in the TPM vendor",
       [](v1::Hello* h) { h->mutable_tpm()->set_vendor("SW\x08TPM"); },
       "tpm.vendor"},
      {"DEL in the agent version",
       [](v1::Hello* h) { h->set_agent_version("1\x7f"); }, "agent_version"},
  };
  for (const Case& c : cases) {
    v1::Hello h = GoodHello();
    c.mutate(&h);
    absl::Status s = CheckHelloText(h);
    EXPECT_EQ(CodeOf(s), v1::INVALID_TEXT) << c.what;
    EXPECT_THAT(s.message(), HasSubstr(c.field)) << c.what;
    // The message shows the value escaped: it is printed by operators.
    for (char ch : std::string(s.message())) {
      EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << c.what << ": " << s.message();
    }
  }
}

TEST(HelloChecksTest, EmptyOptionalTextIsFine) {
  v1::Hello h = GoodHello();
  h.mutable_host()->clear_vm_uuid();
  h.mutable_host()->clear_hostname();
  h.mutable_host()->clear_machine_id();
  h.clear_labels();
  EXPECT_TRUE(CheckHelloText(h).ok());
  h.mutable_host()->set_machine_id("{5C0B1A52-0000-4000-8000-00000000000A}");
  EXPECT_TRUE(CheckHelloText(h).ok());
}

TEST(HelloChecksTest, PrintableTextEscapesAndCuts) {
  EXPECT_EQ(PrintableText("a\rb\\c", 100), "a\\x0db\\x5cc");
  EXPECT_EQ(PrintableText("abcdef", 3), "abc...");
  EXPECT_THAT(PrintableText("\x1b[2J", 100), Not(HasSubstr("\x1b")));
}

TEST(HelloChecksTest, CanonicalUuid) {
  EXPECT_TRUE(IsCanonicalUuid("5c0b1a52-0000-4000-8000-00000000000a"));
  EXPECT_TRUE(IsCanonicalUuid("5C0B1A52-0000-4000-8000-00000000000A"));
  EXPECT_FALSE(IsCanonicalUuid("5c0b1a52000040008000-00000000000a"));
  EXPECT_FALSE(IsCanonicalUuid("5c0b1a52-0000-4000-8000-00000000000g"));
  EXPECT_FALSE(IsCanonicalUuid(""));
}

}  // namespace
}  // namespace vtpm::verifier
