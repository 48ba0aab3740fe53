// The watch stream: a never-ending POST on libcurl multi, and the parser of its messages.
#include "replication/etcd_watch.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace meridian::replication {

using nlohmann::json;

EtcdWatch::EtcdWatch() : multi_(curl_multi_init()) {
  if (!multi_) throw EtcdError("curl_multi_init failed");
}

EtcdWatch::~EtcdWatch() {
  stop();
  curl_multi_cleanup(multi_);
}

void EtcdWatch::start(EtcdClient& client, const std::string& prefix, int64_t from_revision) {
  stop();
  body_ = json{{"create_request",
                {{"key", base64(prefix)},
                 {"range_end", base64(prefix_end(prefix))},
                 {"start_revision", std::to_string(from_revision)}}}}
              .dump();
  easy_ = client.stream("/v3/watch", body_, &headers_);
  curl_easy_setopt(easy_.get(), CURLOPT_WRITEFUNCTION, &EtcdWatch::on_data);
  curl_easy_setopt(easy_.get(), CURLOPT_WRITEDATA, this);
  // A member that vanishes without a reset (a partition) is noticed by the keep-alives, which
  // restart the watch; TCP keep-alive is the backstop for a stream nobody restarts.
  curl_easy_setopt(easy_.get(), CURLOPT_TCP_KEEPALIVE, 1L);
  curl_multi_add_handle(multi_, easy_.get());
  buffer_.clear();
}

void EtcdWatch::stop() {
  if (!easy_) return;
  curl_multi_remove_handle(multi_, easy_.get());
  easy_.reset();
  curl_slist_free_all(headers_);
  headers_ = nullptr;
}

void EtcdWatch::wakeup() { curl_multi_wakeup(multi_); }

size_t EtcdWatch::on_data(char* data, size_t size, size_t count, void* self) {
  static_cast<EtcdWatch*>(self)->buffer_.append(data, size * count);
  return size * count;
}

std::vector<WatchEvent> EtcdWatch::poll(std::chrono::milliseconds timeout) {
  std::vector<WatchEvent> events;
  curl_multi_poll(multi_, nullptr, 0, static_cast<int>(timeout.count()), nullptr);
  if (!easy_) return events;
  int running = 0;
  curl_multi_perform(multi_, &running);
  parse_watch_stream(buffer_, events);
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    const CURLcode code = message->data.result;
    long status = 0;
    curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &status);
    stop();
    if (code != CURLE_OK) throw EtcdError(fmt::format("watch: {}", curl_easy_strerror(code)));
    throw EtcdError(status == 200 ? std::string("watch: etcd ended the stream")
                                  : fmt::format("watch: HTTP {}", status));
  }
  return events;
}

namespace {

// One message; a field of an unexpected type is etcd's error as much as a missing one.
void parse_message(std::string_view line, std::vector<WatchEvent>& events) {
  const json message = json::parse(line);
  if (!message.is_object()) throw EtcdError("watch: a message that is not a JSON object");
  if (message.contains("error")) throw EtcdError(fmt::format("watch: {}", message["error"].dump()));
  const json& result = message.value("result", json::object());
  if (result.value("canceled", false) || json_int(result.value("compact_revision", json())) > 0)
    throw EtcdError(fmt::format("watch cancelled by etcd: {}", result.value("cancel_reason", "compacted")));
  for (const auto& event : result.value("events", json::array())) {
    const json& kv = event.value("kv", json::object());
    events.push_back({event.value("type", "PUT") == "DELETE",
                      {unbase64(kv.value("key", "")), unbase64(kv.value("value", "")),
                       json_int(kv.value("mod_revision", json())), json_int(kv.value("lease", json()))}});
  }
}

}  // namespace

void parse_watch_stream(std::string& buffer, std::vector<WatchEvent>& events) {
  size_t start = 0;
  try {
    for (size_t end; (end = buffer.find('\n', start)) != std::string::npos; start = end + 1) {
      const std::string_view line(buffer.data() + start, end - start);
      if (line.find_first_not_of(" \r\t") != std::string_view::npos) parse_message(line, events);
    }
  } catch (const json::exception& error) {
    throw EtcdError(fmt::format("watch: not a watch message: {}", error.what()));
  } catch (const std::logic_error& error) {  // a revision that is not a number (stoll)
    throw EtcdError(fmt::format("watch: not a watch message: {}", error.what()));
  }
  buffer.erase(0, start);
}

}  // namespace meridian::replication
