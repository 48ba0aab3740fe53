// etcd v3 through its JSON gateway: the requests a replica makes, over blocking libcurl calls.
#include "replication/etcd_client.h"

#include <resolv.h>  // b64_ntop, b64_pton (glibc's libresolv)

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace meridian::replication {

using nlohmann::json;

std::string prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      ++end.back();
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::string base64(const std::string& bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = b64_ntop(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data(), out.size());
  if (n < 0) throw EtcdError("base64 encoding failed");
  out.resize(n);
  return out;
}

std::string unbase64(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = b64_pton(text.c_str(), reinterpret_cast<unsigned char*>(out.data()), out.size());
  if (n < 0) throw EtcdError("etcd sent a value that is not base64");
  out.resize(n);
  return out;
}

int64_t json_int(const json& value) {
  if (value.is_string()) return std::stoll(value.get<std::string>());
  if (value.is_number_integer()) return value.get<int64_t>();
  return 0;
}

namespace {

size_t append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

EtcdClient::EtcdClient(EtcdOptions options) : options_(std::move(options)) {
  if (options_.endpoints.empty()) throw EtcdError("no etcd endpoint");
}

void EtcdClient::next_endpoint() {
  current_ = (current_ + 1) % options_.endpoints.size();
  token_.clear();
}

CurlEasy EtcdClient::prepare(const std::string& path, const std::string& body, curl_slist** headers) {
  CurlEasy easy(curl_easy_init());
  if (!easy) throw EtcdError("curl_easy_init failed");
  CURL* e = easy.get();
  const std::string url = endpoint() + path;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROXY, "");  // never through an environment proxy
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, long(options_.timeout.count()));
  if (!options_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.cert_file.empty()) curl_easy_setopt(e, CURLOPT_SSLCERT, options_.cert_file.c_str());
  if (!options_.key_file.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, options_.key_file.c_str());
  *headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!token_.empty()) *headers = curl_slist_append(*headers, ("Authorization: " + token_).c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers);
  return easy;
}

CurlEasy EtcdClient::stream(const std::string& path, const std::string& body, curl_slist** headers) {
  if (!options_.username.empty() && token_.empty()) authenticate();
  return prepare(path, body, headers);
}

std::string EtcdClient::post(const std::string& path, const std::string& body) {
  curl_slist* headers = nullptr;
  auto easy = prepare(path, body, &headers);
  std::string reply;
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, long(options_.timeout.count()));
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &reply);
  const CURLcode code = curl_easy_perform(easy.get());
  curl_slist_free_all(headers);
  if (code != CURLE_OK) throw EtcdError(fmt::format("{}{}: {}", endpoint(), path, curl_easy_strerror(code)));
  long status = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    std::string message = reply;
    try {
      const auto parsed = json::parse(reply);
      if (parsed.contains("error")) message = parsed["error"].get<std::string>();
    } catch (const std::exception&) {
    }
    throw EtcdError(fmt::format("{}{}: HTTP {}: {}", endpoint(), path, status, message));
  }
  return reply;
}

void EtcdClient::authenticate() {
  const json request = {{"name", options_.username}, {"password", options_.password}};
  const auto reply = json::parse(post("/v3/auth/authenticate", request.dump()));
  if (!reply.contains("token")) throw EtcdError(fmt::format("{}: authentication gave no token", endpoint()));
  token_ = reply["token"].get<std::string>();
}

std::string EtcdClient::call(const std::string& path, const std::string& body) {
  if (!options_.username.empty() && token_.empty()) authenticate();
  try {
    return post(path, body);
  } catch (const EtcdError& error) {
    // Simple tokens expire (five minutes by default) and die with the member that issued them.
    if (options_.username.empty() || std::string_view(error.what()).find("auth token") == std::string_view::npos)
      throw;
  }
  authenticate();
  return post(path, body);
}

int64_t EtcdClient::grant(std::chrono::seconds ttl) {
  const auto reply = json::parse(call("/v3/lease/grant", json{{"TTL", std::to_string(ttl.count())}}.dump()));
  const int64_t id = json_int(reply.value("ID", json()));
  if (id == 0) throw EtcdError(fmt::format("{}: lease grant gave no ID ({})", endpoint(), reply.value("error", "")));
  return id;
}

bool EtcdClient::keep_alive(int64_t lease) {
  const auto reply = json::parse(call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}.dump()));
  if (!reply.contains("result")) throw EtcdError(fmt::format("{}: keep-alive gave no result", endpoint()));
  return json_int(reply["result"].value("TTL", json())) > 0;
}

void EtcdClient::revoke(int64_t lease) { call("/v3/lease/revoke", json{{"ID", std::to_string(lease)}}.dump()); }

void EtcdClient::write(const std::vector<Write>& writes) {
  if (writes.empty()) return;
  json success = json::array();
  for (const auto& w : writes) {
    if (w.erase) {
      success.push_back({{"request_delete_range", {{"key", base64(w.key)}}}});
    } else {
      json put = {{"key", base64(w.key)}, {"value", base64(w.value)}};
      if (w.lease) put["lease"] = std::to_string(w.lease);
      success.push_back({{"request_put", put}});
    }
  }
  const auto reply = json::parse(call("/v3/kv/txn", json{{"success", success}}.dump()));
  if (!reply.value("succeeded", false)) throw EtcdError(fmt::format("{}: transaction not applied", endpoint()));
}

int64_t EtcdClient::claim(const std::string& key, const std::string& value, int64_t lease) {
  const json absent = {
      {"key", base64(key)}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}};
  const json put = {
      {"request_put", {{"key", base64(key)}, {"value", base64(value)}, {"lease", std::to_string(lease)}}}};
  const json read = {{"request_range", {{"key", base64(key)}}}};
  const json request = {
      {"compare", json::array({absent})}, {"success", json::array({put})}, {"failure", json::array({read})}};
  const auto reply = json::parse(call("/v3/kv/txn", request.dump()));
  if (reply.value("succeeded", false)) return lease;
  const auto responses = reply.value("responses", json::array());
  const auto kvs = responses.empty()
                       ? json::array()
                       : responses[0].value("response_range", json::object()).value("kvs", json::array());
  if (kvs.empty()) return 0;
  const int64_t holder = json_int(kvs[0].value("lease", json()));
  if (holder != lease && holder != 0) return holder;
  write({{key, value, false, lease}});
  return lease;
}

EtcdClient::Range EtcdClient::range_prefix(const std::string& prefix) {
  const json request = {{"key", base64(prefix)}, {"range_end", base64(prefix_end(prefix))}};
  const auto reply = json::parse(call("/v3/kv/range", request.dump()));
  Range range;
  range.revision = json_int(reply["header"].value("revision", json()));
  for (const auto& kv : reply.value("kvs", json::array()))
    range.kvs.push_back({unbase64(kv.value("key", "")), unbase64(kv.value("value", "")),
                         json_int(kv.value("mod_revision", json())), json_int(kv.value("lease", json()))});
  return range;
}

}  // namespace meridian::replication
