// Signature algorithms and public keys of the certificates of an EK
// certification path, held to the standard quotes are held to (SHA-256,
// SHA-384, SHA-512; RSA >= 2048 bits, EC >= 256 bits), with a legacy tier
// (SHA-1, RSA 1024-2047 bits) that only a policy's legacyEkRoots admits.
// These functions only read the certificates: whether a signature verifies
// is path validation's business (ek_chain.h).
#ifndef VTPM_VERIFIER_EK_EK_ALGORITHMS_H_
#define VTPM_VERIFIER_EK_EK_ALGORITHMS_H_

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace vtpm::verifier {

// Ordered: a larger value is weaker.
enum class AlgorithmStrength {
  // Accepted in every path.
  kStrong = 0,
  // Accepted only in a path that ends at a legacy root.
  kLegacy = 1,
  // Never accepted.
  kRefused = 2,
};

struct AlgorithmUse {
  AlgorithmStrength strength = AlgorithmStrength::kStrong;
  // What was found, to follow "is signed with" / "has": e.g.
  // "sha1WithRSAEncryption (SHA-1)", "an RSA-1024 key",
  // "an EC key on P-224 (224 bits)".
  std::string what;
};

// The certificate's outer signatureAlgorithm (the one its issuer's
// signature is verified with):
//  strong:  sha256/384/512WithRSAEncryption, ecdsa-with-SHA256/384/512,
//           RSASSA-PSS whose hash and MGF1 hash are SHA-256/384/512;
//  legacy:  sha1WithRSAEncryption, ecdsa-with-SHA1, RSASSA-PSS with SHA-1 as
//           hash or MGF1 hash (an absent hashAlgorithm or maskGenAlgorithm
//           means SHA-1);
//  refused: everything else: MD2, MD4, MD5, MD5+SHA-1 and every other digest
//           (SHA-224, SHA-3, RIPEMD-160, SM3, ...), DSA, EdDSA, SM2, GOST,
//           OIDs OpenSSL does not know, RSASSA-PSS without decodable
//           parameters or with a mask generation function other than MGF1.
AlgorithmUse ClassifySignature(const X509* cert);

// A certificate's public key:
//  strong:  RSA (rsaEncryption or RSASSA-PSS) of >= 2048 bits; EC on the
//           named curves P-256, P-384, P-521, brainpoolP256r1,
//           brainpoolP384r1, brainpoolP512r1;
//  legacy:  RSA of 1024-2047 bits;
//  refused: RSA below 1024 bits or whose public exponent is even or below
//           3; EC on any other curve (P-192, P-224, secp256k1, ...) or with
//           explicit curve parameters; every other key type (DSA, Ed25519,
//           ...); no decodable key.
AlgorithmUse ClassifyKey(const EVP_PKEY* key);

// The weaker of the certificate's signature algorithm and key.
AlgorithmStrength CertificateStrength(const X509* cert);

// A weak algorithm found in a path.
struct WeakAlgorithm {
  AlgorithmStrength strength = AlgorithmStrength::kLegacy;  // never kStrong
  int depth = 0;  // 0 = the EK certificate
  // One sentence naming the certificate (its role and RFC 2253 subject) and
  // the algorithm, e.g.
  //   intermediate CA "CN=x" is signed with sha1WithRSAEncryption (SHA-1)
  //   root CA "CN=y" has an RSA-1024 key
  std::string sentence;
};

// Every weak algorithm of the path `chain` (EK certificate first, trust
// anchor last, as X509_STORE_CTX_get0_chain gives it): the signature of
// every certificate but the last (an anchor's self-signature proves
// nothing) and the key of every certificate, the anchor's included. In path
// order, a certificate's signature before its key. Null or empty: none.
std::vector<WeakAlgorithm> FindWeakAlgorithms(const STACK_OF(X509) * chain);

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_EK_EK_ALGORITHMS_H_
