// The EFI structure decoders of common/bootstate on real event data (from
// the OVMF logs in tests/data/eventlogs, as tpm2_eventlog prints it) and
// on structures built here from their specified layouts, malformed ones
// included.
#include <gtest/gtest.h>

#include <string>

#include "common/byte_reader.h"
#include "common/bootstate/device_path.h"
#include "common/bootstate/efi_signature_list.h"
#include "common/bootstate/efi_variable.h"
#include "common/bootstate/firmware_blob.h"
#include "common/bootstate/gpt.h"
#include "common/bootstate/guid.h"
#include "common/bootstate/image_load.h"
#include "common/bootstate/load_option.h"
#include "common/bootstate/tagged_event.h"
#include "common/bootstate/ucs2.h"
#include "common/hex.h"
#include "common/tpm_alg.h"
#include "tests/bootstate/efi_builders.h"

namespace vtpm::bootstate {
namespace {

using testing::Guid;
using testing::U16;
using testing::U32;
using testing::U64;
using testing::Utf16;
using ::vtpm_attest::v1::SignatureEntry;

std::string Unhex(absl::string_view hex) {
  auto b = HexDecode(hex);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.value_or("");
}

// --- UTF-16 and display strings ---------------------------------------

TEST(Ucs2Test, DecodesAsciiAndStopsAtNul) {
  EXPECT_EQ(Utf16LeToUtf8(Utf16("SecureBoot")), "SecureBoot");
  EXPECT_EQ(Utf16LeToUtf8(Utf16("ab") + Utf16("cd")), "abcd");
  std::string with_nul = Utf16("ab") + std::string(2, '\0') + Utf16("cd");
  EXPECT_EQ(Utf16LeToUtf8(with_nul), "ab");
  EXPECT_EQ(Utf16LeToUtf8(with_nul, /*stop_at_nul=*/false),
            std::string("ab\0cd", 5));
}

TEST(Ucs2Test, DecodesNonAsciiAndSurrogatePairs) {
  // U+00E9 (2 bytes in UTF-8), U+20AC (3 bytes), U+1F600 (pair D83D DE00).
  std::string in = Unhex("e900ac203dd800de");
  EXPECT_EQ(Utf16LeToUtf8(in), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(Ucs2Test, BadSurrogatesAndOddByteBecomeReplacement) {
  const std::string kFffd = "\xef\xbf\xbd";
  EXPECT_EQ(Utf16LeToUtf8(Unhex("3dd84100")), kFffd + "A");  // lone high
  EXPECT_EQ(Utf16LeToUtf8(Unhex("00de4100")), kFffd + "A");  // lone low
  EXPECT_EQ(Utf16LeToUtf8(Unhex("3dd8")), kFffd);            // high at end
  EXPECT_EQ(Utf16LeToUtf8(Unhex("410042")), "A" + kFffd);    // odd length
}

TEST(Ucs2Test, DisplayStringKeepsUtf8AndEscapesTheRest) {
  EXPECT_EQ(ToDisplayString("grub_cmd: set a=1"), "grub_cmd: set a=1");
  EXPECT_EQ(ToDisplayString("a\nb\x7f"), "a\\x0ab\\x7f");
  EXPECT_EQ(ToDisplayString("\xc3\xa9"), "\xc3\xa9");
  EXPECT_EQ(ToDisplayString("\xc0\xaf"), "\\xc0\\xaf");           // overlong
  EXPECT_EQ(ToDisplayString("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(ToDisplayString("\xe2\x82"), "\\xe2\\x82");           // truncated
  EXPECT_EQ(ToDisplayString("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
}

TEST(Ucs2Test, LoggedStringTakesUtf16OrAscii) {
  EXPECT_EQ(LoggedString(Utf16(".linux") + std::string(2, '\0')), ".linux");
  EXPECT_EQ(LoggedString(std::string("MokList\0", 8)), "MokList");
  EXPECT_EQ(LoggedString(""), "");
}

// --- GUIDs --------------------------------------------------------------

TEST(GuidTest, MixedEndianForm) {
  EXPECT_EQ(GuidToString(Unhex("61dfe48bca93d211aa0d00e098032b8c")),
            kEfiGlobalVariableGuid);
  EXPECT_EQ(GuidToString(Guid(kCertX509Guid)), kCertX509Guid);
  EXPECT_EQ(GuidToString("short"), "");
  EXPECT_EQ(GuidName(kShimLockGuid), "SHIM_LOCK");
  EXPECT_EQ(GuidName("00000000-0000-0000-0000-000000000000"), "");
}

// --- UEFI_VARIABLE_DATA ---------------------------------------------------

// Event 4 of ovmf-shim-secboot-crb (PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG).
constexpr char kSecureBootEvent[] =
    "61dfe48bca93d211aa0d00e098032b8c0a000000000000000100000000000000"
    "53006500630075007200650042006f006f007400"
    "01";

TEST(EfiVariableTest, ParsesRealSecureBootEvent) {
  std::string data = Unhex(kSecureBootEvent);
  auto v = ParseUefiVariableData(data);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->vendor_guid, kEfiGlobalVariableGuid);
  EXPECT_EQ(v->name, "SecureBoot");
  EXPECT_EQ(HexEncode(v->data), "01");
  EXPECT_EQ(v->trailing_bytes, 0u);
  EXPECT_EQ(SerializeUefiVariableData(data.substr(0, 16), Utf16("SecureBoot"),
                                      "\x01"),
            data);
}

TEST(EfiVariableTest, RejectsLengthsBeyondTheData) {
  std::string data = Unhex(kSecureBootEvent);
  EXPECT_FALSE(ParseUefiVariableData(data.substr(0, 31)).ok());
  EXPECT_FALSE(ParseUefiVariableData(data.substr(0, data.size() - 1)).ok());
  // UnicodeNameLength and VariableDataLength near 2^64 must not wrap.
  std::string huge_name = data;
  huge_name.replace(16, 8, U64(0x8000000000000001ull));
  EXPECT_FALSE(ParseUefiVariableData(huge_name).ok());
  std::string huge_data = data;
  huge_data.replace(24, 8, U64(~0ull));
  EXPECT_FALSE(ParseUefiVariableData(huge_data).ok());
}

TEST(EfiVariableTest, TrailingBytesOnlyWhenAllowed) {
  std::string data = Unhex(kSecureBootEvent) + "X";
  auto strict = ParseUefiVariableData(data);
  EXPECT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("1 bytes after VariableData"),
            std::string::npos);
  auto lax = ParseUefiVariableData(data, /*allow_trailing=*/true);
  ASSERT_TRUE(lax.ok());
  EXPECT_EQ(lax->trailing_bytes, 1u);
  EXPECT_EQ(HexEncode(lax->data), "01");
}

// --- EFI_SIGNATURE_LIST -------------------------------------------------

TEST(SignatureListTest, Sha256ListAndVendorHeaderIsSkipped) {
  std::string h1(32, '\x11'), h2(32, '\x22');
  std::string owner = Guid(kShimLockGuid);
  // A vendor SignatureHeader of 32 bytes that looks like a hash: it must
  // not become an entry (go-attestation GHSA-9r4w-jg96-92mv).
  std::string list = testing::SignatureList(
      kCertSha256Guid, {owner + h1, owner + h2}, std::string(32, '\x33'));
  std::vector<std::string> problems;
  auto entries = ParseSignatureLists(list, &problems);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].type(), SignatureEntry::TYPE_SHA256);
  EXPECT_EQ((*entries)[0].sha256(), HexEncode(h1));
  EXPECT_EQ((*entries)[1].sha256(), HexEncode(h2));
  EXPECT_EQ((*entries)[1].owner(), kShimLockGuid);
  EXPECT_TRUE(problems.empty());
}

TEST(SignatureListTest, SeveralListsAndOtherTypes) {
  std::string owner = Guid(kEfiGlobalVariableGuid);
  std::string lists =
      testing::SignatureList(kCertSha1Guid, {owner + std::string(20, 'a')}) +
      testing::SignatureList(kCertSha256Guid, {owner + std::string(32, 'b')});
  auto entries = ParseSignatureLists(lists, nullptr);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].type(), SignatureEntry::TYPE_OTHER);
  EXPECT_EQ((*entries)[0].signature_type(), kCertSha1Guid);
  EXPECT_EQ((*entries)[1].type(), SignatureEntry::TYPE_SHA256);
  EXPECT_TRUE(ParseSignatureLists("", nullptr)->empty());
}

TEST(SignatureListTest, BadCertificateIsAProblemNotAFailure) {
  std::string owner = Guid(kEfiGlobalVariableGuid);
  std::string list = testing::SignatureList(
      kCertX509Guid,
      {owner + std::string("\x30\x82\x00\x10", 4) + "not-a-certificate"});
  std::vector<std::string> problems;
  auto entries = ParseSignatureLists(list, &problems);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].type(), SignatureEntry::TYPE_X509);
  EXPECT_TRUE((*entries)[0].subject().empty());
  EXPECT_EQ((*entries)[0].sha256().size(), 64u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("signature 0: X.509"), std::string::npos);
}

TEST(SignatureListTest, RejectsInconsistentSizes) {
  std::string owner = Guid(kEfiGlobalVariableGuid);
  std::string good =
      testing::SignatureList(kCertSha256Guid, {owner + std::string(32, 'x')});
  auto with_u32 = [&](size_t offset, uint32_t v) {
    std::string s = good;
    s.replace(offset, 4, U32(v));
    return s;
  };
  // SignatureListSize below the 28-byte header, beyond the data, and a
  // SignatureHeaderSize beyond the list.
  EXPECT_FALSE(ParseSignatureLists(with_u32(16, 27), nullptr).ok());
  EXPECT_FALSE(ParseSignatureLists(with_u32(16, 0xffffffff), nullptr).ok());
  EXPECT_FALSE(ParseSignatureLists(with_u32(20, 0xffffffe0), nullptr).ok());
  // SignatureSize 0, below the owner GUID, or not dividing the area.
  EXPECT_FALSE(ParseSignatureLists(with_u32(24, 0), nullptr).ok());
  EXPECT_FALSE(ParseSignatureLists(with_u32(24, 15), nullptr).ok());
  EXPECT_FALSE(ParseSignatureLists(with_u32(24, 47), nullptr).ok());
  // Truncated header of a second list.
  EXPECT_FALSE(ParseSignatureLists(good + "abc", nullptr).ok());
}

TEST(SignatureListTest, AuthorityForms) {
  std::string owner = Guid(kShimLockGuid);
  bool bare = true;
  auto hash = ParseAuthoritySignature(owner + std::string(32, '\x44'), &bare);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_FALSE(bare);
  EXPECT_EQ(hash->type(), SignatureEntry::TYPE_SHA256);
  EXPECT_EQ(hash->owner(), kShimLockGuid);
  EXPECT_FALSE(ParseAuthoritySignature(owner + "junk", &bare).ok());
  EXPECT_FALSE(ParseAuthoritySignature("", &bare).ok());
}

// --- Device paths ---------------------------------------------------------

TEST(DevicePathTest, RealPathsFromOvmfLogs) {
  // shim-secboot event 23 (shim) and 29 (grub, file path only); uki-plain
  // event 31 (systemd-stub's kernel); direct-plain event 10 (QEMU kernel).
  EXPECT_EQ(
      DevicePathToText(
          Unhex("02010c00d041030a00000000010106000003040430005c00450046004900"
                "5c0042004f004f0054005c0042004f004f0054005800360034002e004500"
                "4600490000007fff0400"))
          .text,
      "PciRoot(0x0)/Pci(0x3,0x0)/\\EFI\\BOOT\\BOOTX64.EFI");
  EXPECT_EQ(
      DevicePathToText(
          Unhex("040430005c004500460049005c0042004f004f0054005c00670072007500"
                "62007800360034002e0065006600690000007fff0400"))
          .text,
      "\\EFI\\BOOT\\grubx64.efi");
  EXPECT_EQ(DevicePathToText(
                Unhex("04031400f8d1c555cd04b5468a20e56cbb3052d07fff0400"))
                .text,
            "VenMedia(55c5d1f8-04cd-46b5-8a20-e56cbb3052d0)");
  DevicePathText qemu = DevicePathToText(
      Unhex("0403140072f728144ab61e44b8c39ebdd7f893c7040412006b00650072006e00"
            "65006c0000007fff0400"));
  EXPECT_EQ(qemu.text, "VenMedia(1428f772-b64a-441e-b8c3-9ebdd7f893c7)/kernel");
  EXPECT_TRUE(qemu.well_formed);
}

TEST(DevicePathTest, NodeTypesFirmwareLogs) {
  using testing::Node;
  std::string hd =
      Node(4, 1,
           U32(1) + U64(0x800) + U64(0x100000) +
               Guid("11111111-2222-3333-4444-555555555555") + "\x02\x02");
  std::string mac = Node(3, 11,
                         std::string("\x52\x54\x00\x12\x34\x56", 6) +
                             std::string(26, '\0') + "\x01");
  std::string uri = Node(3, 24, "http://10.0.2.2/boot.efi");
  std::string mem = Node(1, 3, U32(11) + U64(0xffc00000) + U64(0xffffffff));
  std::string fv = Node(4, 7, Guid("7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1"));
  std::string fvfile = Node(4, 6, Guid("462caa21-7614-4503-836e-8ab6f4662331"));
  std::string acpi = Node(2, 1, U32(0x050341d0) + U32(0));
  std::string sata = Node(3, 18, U16(0) + U16(0xffff) + U16(0));
  std::string nvme = Node(3, 23, U32(1) + std::string(8, '\xab'));
  std::string usb = Node(3, 5, std::string("\x02\x00", 2));
  std::string offset = Node(4, 8, U32(0) + U64(0x10) + U64(0x20));
  std::string vendor_hw =
      Node(1, 4, Guid("11111111-2222-3333-4444-555555555555") + "\xaa\xbb");
  std::string end = Node(0x7f, 0xff, "");
  std::string instance_end = Node(0x7f, 0x01, "");

  EXPECT_EQ(DevicePathToText(hd + end).text,
            "HD(1,GPT,11111111-2222-3333-4444-555555555555,0x800,0x100000)");
  EXPECT_EQ(DevicePathToText(mac + end).text, "MAC(525400123456,0x1)");
  EXPECT_EQ(DevicePathToText(uri + end).text, "Uri(http://10.0.2.2/boot.efi)");
  EXPECT_EQ(DevicePathToText(mem + end).text,
            "MemoryMapped(0xb,0xffc00000,0xffffffff)");
  EXPECT_EQ(DevicePathToText(fv + fvfile + end).text,
            "Fv(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/"
            "FvFile(462caa21-7614-4503-836e-8ab6f4662331)");
  EXPECT_EQ(DevicePathToText(acpi + sata + end).text,
            "Acpi(PNP0503,0x0)/Sata(0x0,0xffff,0x0)");
  EXPECT_EQ(DevicePathToText(nvme + usb + offset + end).text,
            "NVMe(0x1,abababababababab)/USB(0x2,0x0)/Offset(0x10,0x20)");
  EXPECT_EQ(DevicePathToText(vendor_hw + end).text,
            "VenHw(11111111-2222-3333-4444-555555555555,aabb)");
  EXPECT_EQ(DevicePathToText(uri + instance_end + mac + end).text,
            "Uri(http://10.0.2.2/boot.efi),MAC(525400123456,0x1)");
  // Decoding stops at End-Entire.
  EXPECT_EQ(DevicePathToText(uri + end + mac).text,
            "Uri(http://10.0.2.2/boot.efi)");
}

TEST(DevicePathTest, UnknownNodesDoNotStopDecoding) {
  using testing::Node;
  std::string path = Node(9, 9, "xyz") + Node(4, 4, Utf16("\\a.efi") + U16(0)) +
                     Node(0x7f, 0xff, "");
  DevicePathText t = DevicePathToText(path);
  EXPECT_EQ(t.text, "Type(9,9)/\\a.efi");
  EXPECT_TRUE(t.well_formed);
  // A known node too short for its fields is shown generically.
  t = DevicePathToText(Node(1, 1, "") + Node(4, 4, Utf16("\\b") + U16(0)));
  EXPECT_EQ(t.text, "Type(1,1)/\\b");
  EXPECT_FALSE(t.well_formed);
}

TEST(DevicePathTest, MalformedLengthsStopSafely) {
  using testing::Node;
  std::string file = Node(4, 4, Utf16("\\a") + U16(0));
  // Length 2 (below the 4-byte header), length past the end, 3 bytes.
  std::string short_len = file + std::string("\x04\x04\x02\x00", 4);
  std::string long_len = file + std::string("\x04\x04\xff\x00", 4) + "abc";
  for (const std::string& p :
       {short_len, long_len, std::string("\x04\x04\x08")}) {
    DevicePathText t = DevicePathToText(p);
    EXPECT_FALSE(t.well_formed);
    EXPECT_NE(t.text.find("<malformed>"), std::string::npos) << t.text;
  }
  EXPECT_EQ(DevicePathToText("").text, "");
}

// --- UEFI_IMAGE_LOAD_EVENT ------------------------------------------------

TEST(ImageLoadTest, RealEventAnd32BitLayout) {
  // shim-secboot event 38: kernel loaded by shim, no device path.
  std::string kernel =
      Unhex("6092e21900000000c0d77d000000000000000000000000000000000000000000");
  auto k = ParseImageLoadEvent(kernel);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->location, 0x19e29260u);
  EXPECT_EQ(k->length, 8247232u);
  EXPECT_TRUE(k->device_path.empty());
  EXPECT_FALSE(k->uintn_32bit);

  std::string path = testing::Node(4, 4, Utf16("\\x") + U16(0)) +
                     testing::Node(0x7f, 0xff, "");
  std::string ia32 = U64(0x1000) + U32(0x2000) + U32(0) +
                     U32(static_cast<uint32_t>(path.size())) + path;
  auto i = ParseImageLoadEvent(ia32);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_TRUE(i->uintn_32bit);
  EXPECT_EQ(i->length, 0x2000u);
  EXPECT_EQ(DevicePathToText(i->device_path).text, "\\x");
}

TEST(ImageLoadTest, RejectsWrongDevicePathLength) {
  std::string e = U64(1) + U64(2) + U64(3) + U64(10) + "short";
  EXPECT_FALSE(ParseImageLoadEvent(e).ok());
  EXPECT_FALSE(ParseImageLoadEvent(U64(1) + U64(2) + U64(3) + U64(~0ull)).ok());
  EXPECT_FALSE(ParseImageLoadEvent("").ok());
}

// --- UEFI_GPT_DATA --------------------------------------------------------

TEST(GptTest, ParsesPartitions) {
  std::string gpt = testing::GptEvent(
      "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
      {{"c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
        "11111111-1111-1111-1111-111111111111", 2048, 206847, "EFI System"},
       {"0fc63daf-8483-4772-8e79-3d69d8477de4",
        "22222222-2222-2222-2222-222222222222", 206848, 4194270, "root"}});
  auto g = ParseGptEvent(gpt);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->disk_guid, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  ASSERT_EQ(g->partitions.size(), 2u);
  EXPECT_EQ(g->partitions[0].type_guid(),
            "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
  EXPECT_EQ(g->partitions[0].name(), "EFI System");
  EXPECT_EQ(g->partitions[1].first_lba(), 206848u);
  EXPECT_EQ(g->partitions[1].last_lba(), 4194270u);
  EXPECT_EQ(g->partitions[1].unique_guid(),
            "22222222-2222-2222-2222-222222222222");
}

TEST(GptTest, RejectsMalformed) {
  std::string gpt =
      testing::GptEvent("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                        {{"c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
                          "11111111-1111-1111-1111-111111111111", 1, 2, "p"}});
  std::string bad_sig = gpt;
  bad_sig[0] = 'X';
  EXPECT_FALSE(ParseGptEvent(bad_sig).ok());
  std::string bad_count = gpt;
  bad_count.replace(92, 8, U64(0x0200000000000001ull));
  EXPECT_FALSE(ParseGptEvent(bad_count).ok());
  std::string small_entry = gpt;
  small_entry.replace(84, 4, U32(64));
  EXPECT_FALSE(ParseGptEvent(small_entry).ok());
  std::string zero_entry = gpt;
  zero_entry.replace(84, 4, U32(0));
  EXPECT_FALSE(ParseGptEvent(zero_entry).ok());
  EXPECT_FALSE(ParseGptEvent(gpt.substr(0, gpt.size() - 1)).ok());
  EXPECT_FALSE(ParseGptEvent(gpt.substr(0, 50)).ok());
}

// --- EFI_LOAD_OPTION, tagged events, firmware blobs -----------------------

TEST(LoadOptionTest, RealBootOption) {
  // shim-secboot event 11: Boot0001's VariableData.
  auto o = ParseLoadOption(Unhex(
      "010000001600550045004600490020004e006f006e002d0042006c006f0063006b00"
      "200042006f006f007400200044006500760069006300650000000201"
      "0c00d041030a000000000101060000037fff04004eac0881119f594d850ee21a522c"
      "59b2"));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->attributes, 1u);
  EXPECT_EQ(o->description, "UEFI Non-Block Boot Device");
  EXPECT_EQ(o->device_path, "PciRoot(0x0)/Pci(0x3,0x0)");
  EXPECT_EQ(o->optional_data_size, 16u);
  EXPECT_FALSE(ParseLoadOption(U32(1) + U16(0) + Utf16("no-nul")).ok());
  EXPECT_FALSE(ParseLoadOption(U32(1) + U16(50) + U16(0) + "x").ok());
  EXPECT_EQ(*ParseBootOrder(Unhex("010000000200")),
            (std::vector<uint16_t>{1, 0, 2}));
  EXPECT_FALSE(ParseBootOrder("abc").ok());
}

TEST(TaggedEventTest, RealLinuxInitrdTag) {
  // direct-plain event 22 (PCR 9).
  const std::string data = Unhex("ec223b8f0d0000004c696e757820696e6974726400");
  auto t = ParseTaggedEvent(data);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->id, kLinuxInitrdTag);
  EXPECT_EQ(TaggedEventLabel(t->data), "Linux initrd");
  EXPECT_FALSE(ParseTaggedEvent(Unhex("ec223b8f0e0000004c696e7578")).ok());
  EXPECT_FALSE(ParseTaggedEvent("abc").ok());
}

TEST(FirmwareBlobTest, BlobsAndHandoffTables) {
  EXPECT_EQ(*DescribeFirmwareBlob(U64(0x820000) + U64(0xe0000), false),
            "base 0x820000 length 0xe0000");
  EXPECT_EQ(*DescribeFirmwareBlob("\x05"
                                  "DXEFV" +
                                      U64(1) + U64(2),
                                  true),
            "DXEFV: base 0x1 length 0x2");
  EXPECT_FALSE(DescribeFirmwareBlob(U64(1), false).ok());
  EXPECT_FALSE(DescribeFirmwareBlob("\x09"
                                    "DXEFV" +
                                        U64(1) + U64(2),
                                    true)
                   .ok());
  std::string table =
      Guid("eb9d2d31-2d88-11d3-9a16-0090273fc14d") + U64(0x1234);
  EXPECT_EQ(*DescribeHandoffTables(U64(1) + table, false),
            "1 table: eb9d2d31-2d88-11d3-9a16-0090273fc14d");
  EXPECT_FALSE(DescribeHandoffTables(U64(2) + table, false).ok());
  EXPECT_FALSE(DescribeHandoffTables(U64(~0ull) + table, false).ok());
}

TEST(ByteReaderTest, FailedReadsDoNotMove) {
  const std::string data("\x01\x02\x03", 3);
  ByteReader r(data);
  uint32_t v32 = 0;
  EXPECT_FALSE(r.ReadU32(&v32));
  EXPECT_EQ(r.position(), 0u);
  uint16_t v16 = 0;
  EXPECT_TRUE(r.ReadU16(&v16));
  EXPECT_EQ(v16, 0x0201);
  absl::string_view rest;
  EXPECT_FALSE(r.ReadBytes(2, &rest));
  EXPECT_TRUE(r.ReadBytes(1, &rest));
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace vtpm::bootstate
