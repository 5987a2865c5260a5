// EscapeForTerminal (common/text_escape.h) and the CLI's JSON and XML
// escaping built on it: every attack a guest can write into a string
// (fake lines, OSC title/clipboard, CSI, bidi reordering, invisible
// characters, ill-formed UTF-8) comes out as visible, unambiguous text.
#include "common/text_escape.h"

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "verifier/cli/admin_format.h"
#include "verifier/cli/json_writer.h"
#include "verifier/cli/junit.h"

namespace vtpm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// UTF-8 of one code point.
std::string U8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

// No C0 byte, no DEL, well-formed UTF-8, no unsafe code point.
void ExpectSafe(const std::string& out) {
  for (unsigned char b : out) {
    ASSERT_GE(b, 0x20) << out;
    ASSERT_NE(b, 0x7F) << out;
  }
  EXPECT_TRUE(IsTerminalSafe(out)) << out;
}

TEST(EscapeForTerminalTest, PrintableTextIsKept) {
  for (const std::string s :
       {"host-01.example.com", "image=debian-12", "Grüße, señor", "日本語",
        "שלום עולם", "emoji 🙂 ❤️", "e\xCC\x81",
        "tab-less, quote \" ' ` ~", ""}) {
    EXPECT_EQ(EscapeForTerminal(s), s);
    EXPECT_TRUE(IsTerminalSafe(s)) << s;
  }
}

TEST(EscapeForTerminalTest, ControlsBecomeVisibleEscapes) {
  EXPECT_EQ(EscapeForTerminal("ok\rPASS"), "ok\\rPASS");
  EXPECT_EQ(EscapeForTerminal("a\nb\tc"), "a\\nb\\tc");
  EXPECT_EQ(EscapeForTerminal(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(EscapeForTerminal("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
  EXPECT_EQ(EscapeForTerminal("\x1b]52;c;ZXZpbA==\x07"),
            "\\x1b]52;c;ZXZpbA==\\x07");
  EXPECT_EQ(EscapeForTerminal("\x1b[2J\x1b[H"), "\\x1b[2J\\x1b[H");
  EXPECT_EQ(EscapeForTerminal("\x7f\x08\x1f"), "\\x7f\\x08\\x1f");
  // C1 controls (8-bit CSI, NEL, OSC) as code points.
  EXPECT_EQ(EscapeForTerminal("\xC2\x9B"
                              "2J"),
            "\\u{9b}2J");
  EXPECT_EQ(EscapeForTerminal(U8(0x85) + U8(0x9D)), "\\u{85}\\u{9d}");
  EXPECT_EQ(EscapeForTerminal(U8(0x80) + U8(0x9F)), "\\u{80}\\u{9f}");
}

TEST(EscapeForTerminalTest, BidiAndInvisibleCharactersAreEscaped) {
  EXPECT_EQ(EscapeForTerminal("invoice" + U8(0x202E) + "fdp.exe"),
            "invoice\\u{202e}fdp.exe");
  for (char32_t c :
       {0x200E,  0x200F,  0x202A, 0x202B, 0x202C, 0x202D,  0x202E,  0x2066,
        0x2067,  0x2068,  0x2069, 0x061C, 0x200B, 0x200C,  0x200D,  0x2060,
        0x2028,  0x2029,  0xFEFF, 0x00AD, 0x180E, 0x3164,  0xFFF9,  0xE0001,
        0xE0041, 0xE007F, 0xFFFE, 0xFFFF, 0xFDD0, 0x1FFFE, 0x10FFFF}) {
    std::string out = EscapeForTerminal(U8(c));
    char want[16];
    std::snprintf(want, sizeof(want), "\\u{%x}", static_cast<unsigned>(c));
    EXPECT_EQ(out, want) << std::hex << static_cast<unsigned>(c);
    EXPECT_FALSE(IsTerminalSafe(U8(c)));
  }
  // Neighbours that are ordinary characters stay.
  for (char32_t c :
       {0xA0, 0xAC, 0xAE, 0x2010, 0x202F, 0x20AC, 0xFE0F, 0xFFFD, 0x1F642}) {
    EXPECT_EQ(EscapeForTerminal(U8(c)), U8(c))
        << std::hex << static_cast<unsigned>(c);
  }
}

TEST(EscapeForTerminalTest, IllFormedUtf8BecomesByteEscapes) {
  EXPECT_EQ(EscapeForTerminal("a\xFF"
                              "b"),
            "a\\xffb");
  EXPECT_EQ(EscapeForTerminal("\x80"), "\\x80");           // continuation
  EXPECT_EQ(EscapeForTerminal("\xC0\xAF"), "\\xc0\\xaf");  // overlong '/'
  EXPECT_EQ(EscapeForTerminal("\xE0\x80\xAF"), "\\xe0\\x80\\xaf");
  EXPECT_EQ(EscapeForTerminal("\xE2\x80"), "\\xe2\\x80");           // truncated
  EXPECT_EQ(EscapeForTerminal("\xED\xA0\x80"), "\\xed\\xa0\\x80");  // D800
  EXPECT_EQ(EscapeForTerminal("\xF4\x90\x80\x80"),  // > U+10FFFF
            "\\xf4\\x90\\x80\\x80");
  // An ill-formed lead byte does not swallow the next character.
  EXPECT_EQ(EscapeForTerminal("\xE2"
                              "A"),
            "\\xe2A");
  // 0xC2 0x9B is C1 CSI; 0x9B alone is a stray byte: told apart.
  EXPECT_EQ(EscapeForTerminal("\x9B"), "\\x9b");
  EXPECT_EQ(EscapeForTerminal("\xC2\x9B"), "\\u{9b}");
}

TEST(EscapeForTerminalTest, BackslashIsEscapedSoEscapesCannotBeForged) {
  EXPECT_EQ(EscapeForTerminal("C:\\dir"), "C:\\\\dir");
  // The text "\x1b" and the byte ESC are shown differently.
  EXPECT_NE(EscapeForTerminal("\\x1b"), EscapeForTerminal("\x1b"));
  EXPECT_EQ(EscapeForTerminal("\\x1b"), "\\\\x1b");
  EXPECT_NE(EscapeForTerminal("\\u{202e}"), EscapeForTerminal(U8(0x202E)));
}

TEST(EscapeForTerminalTest, AlsoEscapesSeparators) {
  EXPECT_EQ(EscapeForTerminal("a b,c=d", " ,="), "a\\x20b\\x2cc\\x3dd");
  EXPECT_EQ(EscapeForTerminal("a b", ""), "a b");
}

TEST(EscapeForTerminalTest, RandomBytesAlwaysComeOutSafeAndDistinct) {
  std::mt19937 rng(1234);
  // Bytes biased toward the interesting ones.
  const std::vector<unsigned char> pool = {
      0x00, 0x07, 0x09, 0x0A, 0x0D, 0x1B, 0x5C, 0x7F, 0x80, 0x9B,
      0xC2, 0xE2, 0x80, 0xAE, 0xED, 0xA0, 0xF0, 0xF4, 0xFF, 'a',
      ' ',  '[',  ']',  ';',  'x',  'u',  '{',  '}',  '0'};
  std::set<std::string> inputs;
  std::set<std::string> outputs;
  for (int n = 0; n < 20000; ++n) {
    std::string in;
    int len = static_cast<int>(rng() % 8);
    for (int i = 0; i < len; ++i) {
      in += static_cast<char>(rng() % 3 == 0 ? rng() % 256
                                             : pool[rng() % pool.size()]);
    }
    std::string out = EscapeForTerminal(in);
    ExpectSafe(out);
    if (inputs.insert(in).second) {
      EXPECT_TRUE(outputs.insert(out).second) << "two inputs escape to " << out;
    }
  }
}

TEST(DecodeUtf8Test, StrictDecoding) {
  EXPECT_EQ(DecodeUtf8("A").code_point, U'A');
  EXPECT_EQ(DecodeUtf8("\xE2\x80\xAE").code_point, 0x202Eu);
  EXPECT_EQ(DecodeUtf8("\xE2\x80\xAE").length, 3u);
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x99\x82").code_point, 0x1F642u);
  EXPECT_EQ(DecodeUtf8("").length, 0u);
  EXPECT_EQ(DecodeUtf8("\xC1\xBF").length, 0u);
  EXPECT_EQ(DecodeUtf8("\xF0\x8F\xBF\xBF").length, 0u);  // overlong
  EXPECT_EQ(DecodeUtf8("\xF5\x80\x80\x80").length, 0u);
}

// --- JSON and XML ------------------------------------------------------------

// Whether python3 parses `json` and finds `expected` (a Python literal)
// equal to the value.
bool PythonJsonEquals(const std::string& json, const std::string& expected) {
  testing::TempDir dir;
  std::string f = dir.Sub("v.json");
  EXPECT_TRUE(testing::WriteFile(f, json).ok());
  auto r = testing::RunCommand(
      {"python3", "-c",
       "import json,sys\n"
       "v = json.load(open(sys.argv[1], encoding='utf-8'))\n"
       "assert v == " +
           expected + ", repr(v)\n",
       f});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  return r.ok() && r->exit_code == 0;
}

TEST(JsonEscapeTest, QuoteIsValidTerminalSafeAndLossless) {
  std::string hostile = "a\rPASS\x1b]0;t\x07" + U8(0x9B) + U8(0x202E) +
                        U8(0xE0041) + "\\\"" + std::string("\0", 1);
  std::string q = cli::JsonQuote(hostile);
  ExpectSafe(q);
  EXPECT_THAT(q, HasSubstr("\\u001b"));
  EXPECT_THAT(q, HasSubstr("\\u202e"));
  EXPECT_THAT(q, HasSubstr("\\udb40\\udc41"));
  EXPECT_TRUE(PythonJsonEquals(
      q, "'a\\rPASS\\x1b]0;t\\x07\\x9b\\u202e\\U000e0041\\\\\"\\x00'"));
  // Ill-formed UTF-8 cannot be carried: U+FFFD.
  EXPECT_EQ(cli::JsonQuote("x\xFFy"), "\"x\\ufffdy\"");
  EXPECT_TRUE(
      PythonJsonEquals(cli::JsonQuote("x\xFF\xC0y"), "'x\\ufffd\\ufffdy'"));
}

TEST(JsonEscapeTest, MakeJsonTerminalSafeOnlyTouchesStrings) {
  std::string in = "{\"k" + U8(0x2066) + "\":\"v\\\"" + U8(0x202E) +
                   "\",\"n\":[1, 2],\"b\":\"\xFF\",\"e\":\"\\u001b\"}";
  std::string out = cli::MakeJsonTerminalSafe(in);
  ExpectSafe(out);
  EXPECT_EQ(out,
            "{\"k\\u2066\":\"v\\\"\\u202e\",\"n\":[1, 2],\"b\":\"\\ufffd\","
            "\"e\":\"\\u001b\"}");
  EXPECT_TRUE(PythonJsonEquals(
      out,
      "{'k\\u2066': 'v\"\\u202e', 'n': [1, 2], 'b': '\\ufffd', "
      "'e': '\\x1b'}"));
}

TEST(XmlEscapeTest, OnlyXml10CharactersRemain) {
  EXPECT_EQ(cli::XmlEscape("<a & 'b' \"c\">"),
            "&lt;a &amp; &apos;b&apos; &quot;c&quot;&gt;");
  EXPECT_EQ(cli::XmlEscape("\t\n\r"), "&#9;&#10;&#13;");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(cli::XmlEscape(std::string("\x00\x01\x1b\x1f", 4)),
            fffd + fffd + fffd + fffd);
  EXPECT_EQ(cli::XmlEscape("\xFF"), fffd);
  EXPECT_EQ(cli::XmlEscape(U8(0xFFFE) + U8(0xFFFF)), fffd + fffd);
  EXPECT_EQ(cli::XmlEscape("ok " + U8(0x1F642)), "ok " + U8(0x1F642));
}

TEST(XmlEscapeTest, JunitWithHostileFieldsParsesAndShowsEscapes) {
  cli::JunitCase c;
  c.classname = "vtpm-attest";
  c.name = "attestation \x1b]0;x\x07";
  c.outcome = cli::JunitCase::Outcome::kFailure;
  c.message = "FAIL: \rPASS";
  c.details = "POLICY_KERNEL_CMDLINE: quiet\x1b[2J" + U8(0x202E) +
              std::string("\nEVENTLOG: bad\xFF\x00z\n", 18);
  c.details += std::string("nul\0end", 7);
  c.system_out = "policy base\x1b[8m";
  std::string xml = cli::JunitXml(
      "vtpm-attest", {{"policy", "p\x01"}, {"replica", "r" + U8(0x2067)}}, {c});
  ExpectSafe(absl::StrReplaceAll(xml, {{"\n", " "}}));
  testing::TempDir dir;
  std::string f = dir.Sub("j.xml");
  ASSERT_TRUE(testing::WriteFile(f, xml).ok());
  auto r = testing::RunCommand(
      {"python3", "-c",
       "import sys, xml.dom.minidom as m\n"
       "d = m.parse(sys.argv[1])\n"
       "f = d.getElementsByTagName('failure')[0]\n"
       "t = f.firstChild.data\n"
       "assert 'quiet\\\\x1b[2J\\\\u{202e}' in t, t\n"
       "assert 'bad\\\\xff\\\\x00z' in t, t\n"
       "assert 'nul\\\\x00end' in t, t\n"
       "assert f.getAttribute('message') == 'FAIL: \\\\rPASS', "
       "f.getAttribute('message')\n"
       "c = d.getElementsByTagName('testcase')[0]\n"
       "assert c.getAttribute('name') == 'attestation \\\\x1b]0;x\\\\x07'\n"
       "p = {e.getAttribute('name'): e.getAttribute('value') for e in "
       "d.getElementsByTagName('property')}\n"
       "assert p['policy'] == 'p\\\\x01', p\n"
       "assert p['replica'] == 'r\\\\u{2067}', p\n",
       f});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output << "\n" << xml;
}

// --- Table and labels --------------------------------------------------------

TEST(AdminFormatTest, LabelsCannotPassForMoreLabels) {
  google::protobuf::Map<std::string, std::string> labels;
  labels["z"] = "1";
  labels["image"] = "debian,trusted=yes";
  labels["k\x1b[2J"] = U8(0x202E) + "v";
  EXPECT_EQ(cli::LabelsText(labels),
            "image=debian\\x2ctrusted\\x3dyes,k\\x1b[2J=\\u{202e}v,z=1");
}

TEST(AdminFormatTest, TableEscapesUnsafeCellsAndAlignsByCodePoints) {
  cli::Table t({"A", "B"});
  t.AddRow({"grüße", "x"});
  t.AddRow({"raw\rPASS", "y"});  // not escaped by the caller
  testing::TempDir dir;
  std::string f = dir.Sub("t.txt");
  std::FILE* out = std::fopen(f.c_str(), "w");
  ASSERT_NE(out, nullptr);
  t.Print(out);
  std::fclose(out);
  auto text = testing::ReadFile(f);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "A          B\n"
            "grüße      x\n"
            "raw\\rPASS  y\n");
}

TEST(AdminFormatTest, ReasonsAndShownOrDash) {
  vtpm_attest::v1::Verdict v;
  auto* r = v.add_reasons();
  r->set_code(vtpm_attest::v1::POLICY_PCR_MISMATCH);
  r->set_message("cmdline \x1b]52;c;AAAA\x07");
  EXPECT_EQ(cli::ReasonsText(v),
            "POLICY_PCR_MISMATCH: cmdline \\x1b]52;c;AAAA\\x07");
  EXPECT_EQ(cli::ShownOrDash(""), "-");
  EXPECT_EQ(cli::ShownOrDash("h\r"), "h\\r");
  EXPECT_THAT(cli::ShownOrDash("h\r"), Not(HasSubstr("\r")));
}

}  // namespace
}  // namespace vtpm
