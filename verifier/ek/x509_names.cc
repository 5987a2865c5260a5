#include "verifier/ek/x509_names.h"

#include <openssl/err.h>

#include "common/ossl.h"

namespace vtpm::verifier {

std::string NameToString(const X509_NAME* name, size_t max_len) {
  if (name == nullptr) return "";
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    ERR_clear_error();
    return "(unprintable name)";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, len > 0 ? static_cast<size_t>(len) : 0);
  if (out.size() > max_len) {
    out.resize(max_len);
    out += "...";
  }
  return out;
}

}  // namespace vtpm::verifier
