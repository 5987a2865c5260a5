#include "verifier/cli/quote_inputs.h"

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ossl.h"
#include "common/tpm2tools/pcr_file.h"
#include "common/tpm_public.h"

namespace vtpm::cli {
namespace {

std::string Describe(const verifier::PreparedAk& ak) {
  if (ak.type() == TPM2_ALG_RSA) return absl::StrCat("rsa ", ak.bits());
  return absl::StrCat("ecc P-", ak.bits());
}

}  // namespace

absl::StatusOr<std::string> ReadFileBytes(const std::string& path,
                                          size_t max_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path));
  }
  std::string out;
  char buf[16384];
  while (in) {
    in.read(buf, sizeof(buf));
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > max_size) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is larger than ", max_size, " bytes"));
    }
  }
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("cannot read ", path));
  }
  return out;
}

absl::StatusOr<LoadedAk> LoadAk(absl::string_view contents) {
  LoadedAk out;
  if (absl::StrContains(contents, "-----BEGIN PUBLIC KEY-----")) {
    auto key = ParsePemPublicKey(contents);
    if (!key.ok()) return key.status();
    auto ak = verifier::PreparedAk::FromEvp(*std::move(key));
    if (!ak.ok()) return ak.status();
    out.bare_key = *std::move(ak);
    out.description = absl::StrCat("PEM public key, ", Describe(*out.bare_key));
    return out;
  }
  auto pub = ParsePublic(contents);
  if (!pub.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("AK is neither a TPM2B_PUBLIC nor a PEM public key: ",
                     pub.status().message()));
  }
  out.public_area = pub->publicArea;
  out.description = absl::StrCat(
      "TPM2B_PUBLIC, ", pub->publicArea.type == TPM2_ALG_RSA   ? "rsa"
                        : pub->publicArea.type == TPM2_ALG_ECC ? "ecc"
                                                               : "other");
  return out;
}

absl::StatusOr<std::pair<PcrSelection, PcrValues>> LoadPcrs(
    absl::string_view contents, absl::string_view pcrs_flag) {
  auto serialized = tpm2tools::ParseSerializedPcrs(contents);
  if (pcrs_flag.empty()) {
    if (!serialized.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PCR file is not in the serialized form (give --pcrs for a values "
          "file): ",
          serialized.status().message()));
    }
    return serialized;
  }
  auto selection = ParsePcrSelection(pcrs_flag);
  if (!selection.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--pcrs: ", selection.status().message()));
  }
  if (serialized.ok()) {
    if (serialized->first != *selection) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PCR file selects ", PcrSelectionToString(serialized->first),
          " but --pcrs says ", PcrSelectionToString(*selection)));
    }
    return serialized;
  }
  auto values = tpm2tools::ParseRawPcrValues(contents, *selection);
  if (!values.ok()) return values.status();
  return std::make_pair(*std::move(selection), *std::move(values));
}

}  // namespace vtpm::cli
