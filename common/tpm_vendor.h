// TPM manufacturers as EK certificates name them and policies judge them.
#ifndef VTPM_COMMON_TPM_VENDOR_H_
#define VTPM_COMMON_TPM_VENDOR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vtpm {

// The manufacturer as policies name it. A tcg-at-tpmManufacturer value
// "id:XXXXXXXX" (8 hex digits, the TCG vendor ID) whose four bytes are
// printable ASCII once trailing NULs and spaces are dropped becomes that
// code ("id:49465800" -> "IFX", "id:4D534654" -> "MSFT"); any other "id:"
// value keeps its form with upper-case hex ("id:00001014", swtpm's); a
// value that is not "id:" + 8 hex digits is returned unchanged.
std::string TpmManufacturerCode(absl::string_view san_manufacturer);

}  // namespace vtpm

#endif  // VTPM_COMMON_TPM_VENDOR_H_
