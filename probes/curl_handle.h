// Owning wrappers for libcurl's C handles, and its once-per-process global initialisation.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace meridian::probes {

struct CurlMultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct CurlEasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

using CurlMultiPtr = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlListPtr = std::unique_ptr<curl_slist, CurlListDeleter>;

// curl_global_init is not safe to race with other threads using curl; call this from the
// thread that starts the service. Never cleaned up: it lives as long as the process.
inline void curl_global_once() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)code;
}

}  // namespace meridian::probes
