/* daemon/lazy_crypto: OpenSSL's libcrypto functions as berth uses them (sha256, base64),
 * forwarded to libcrypto.so.3 loaded at the first call (lazy.h). A function missing here is
 * linked from libcrypto as usual (loaded at exec again): add it when you use a new one. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stddef.h>

#include "daemon/lazy.h"

static struct lazy_lib crypto_lib = {"libcrypto.so.3", NULL, false};
#define LAZY_LIB crypto_lib

LAZY(int, EVP_DecodeBlock, -1, (unsigned char *a0, const unsigned char *a1, int a2), (a0, a1, a2))
LAZY(int, EVP_EncodeBlock, 0, (unsigned char *a0, const unsigned char *a1, int a2), (a0, a1, a2))
LAZY(int, EVP_Digest, 0,
     (const void *a0, size_t a1, unsigned char *a2, unsigned int *a3, const EVP_MD *a4, ENGINE *a5),
     (a0, a1, a2, a3, a4, a5))
LAZY(int, EVP_DigestInit_ex, 0, (EVP_MD_CTX * a0, const EVP_MD *a1, ENGINE *a2), (a0, a1, a2))
LAZY(int, EVP_DigestUpdate, 0, (EVP_MD_CTX * a0, const void *a1, size_t a2), (a0, a1, a2))
LAZY(int, EVP_DigestFinal_ex, 0, (EVP_MD_CTX * a0, unsigned char *a1, unsigned int *a2),
     (a0, a1, a2))
LAZY(EVP_MD_CTX *, EVP_MD_CTX_new, NULL, (void), ())
LAZY_VOID(EVP_MD_CTX_free, (EVP_MD_CTX * a0), (a0))
LAZY(const EVP_MD *, EVP_sha256, NULL, (void), ())
LAZY(int, SHA256_Init, 0, (SHA256_CTX * a0), (a0))
LAZY(int, SHA256_Update, 0, (SHA256_CTX * a0, const void *a1, size_t a2), (a0, a1, a2))
LAZY(int, SHA256_Final, 0, (unsigned char *a0, SHA256_CTX *a1), (a0, a1))
