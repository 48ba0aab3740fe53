// geo/geo_db.cpp: GeoDb, GeoIP lookups over one or more MaxMind DB files (libmaxminddb, mmap).
#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "geo/geo.h"

namespace meridian::geo {
namespace {

// MMDB_s owns an mmap and a few heap blocks; MMDB_close releases them. MMDB_open cleans up
// after itself when it fails, so only a successfully opened database reaches this deleter.
struct MmdbCloser {
  void operator()(MMDB_s* database) const noexcept {
    MMDB_close(database);
    delete database;
  }
};
using MmdbHandle = std::unique_ptr<MMDB_s, MmdbCloser>;

MmdbHandle open_database(const std::string& path) {
  auto database = std::make_unique<MMDB_s>();
  errno = 0;
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, database.get());
  if (status != MMDB_SUCCESS) {
    std::string reason = MMDB_strerror(status);
    // MMDB_open keeps errno for system errors: "No such file or directory" says more.
    if ((status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) && errno != 0)
      reason += std::string(": ") + std::strerror(errno);
    throw GeoError(path + ": " + reason, path);
  }
  return MmdbHandle(database.release());
}

// The result of reading one field of a record.
enum class Field { present, absent, broken };

Field read_field(MMDB_entry_s entry, const char* const* path, MMDB_entry_data_s& data) noexcept {
  const int status = MMDB_aget_value(&entry, &data, path);
  if (status == MMDB_SUCCESS) return data.has_data ? Field::present : Field::absent;
  // A path that does not fit this record's shape (the other layout, a missing array element)
  // just means the field is not there; anything else is a corrupt record.
  if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) return Field::absent;
  return Field::broken;
}

// Reads the first of `paths` the record has. Returns broken on a corrupt record.
template <size_t N>
Field read_first(const MMDB_entry_s& entry, const char* const* const (&paths)[N],
                 MMDB_entry_data_s& data) noexcept {
  for (const char* const* path : paths) {
    const Field field = read_field(entry, path, data);
    if (field != Field::absent) return field;
  }
  return Field::absent;
}

std::string_view string_of(const MMDB_entry_data_s& data) noexcept {
  if (data.type != MMDB_DATA_TYPE_UTF8_STRING) return {};
  return {data.utf8_string, data.data_size};
}

// Copies an upper-cased code of 1..N-1 ASCII letters or digits into `out`; leaves `out` empty
// for anything else, so a malformed value reads as "unknown" rather than as a wrong code.
template <size_t N>
void copy_code(std::string_view text, size_t min_size, std::array<char, N>& out) noexcept {
  if (text.size() < min_size || text.size() >= N) return;
  for (char c : text)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return;
  for (size_t i = 0; i < text.size(); ++i)
    out[i] = (text[i] >= 'a' && text[i] <= 'z') ? static_cast<char>(text[i] - 'a' + 'A') : text[i];
  out[text.size()] = '\0';
}

std::optional<double> number_of(const MMDB_entry_data_s& data) noexcept {
  if (data.type == MMDB_DATA_TYPE_DOUBLE) return data.double_value;
  if (data.type == MMDB_DATA_TYPE_FLOAT) return data.float_value;
  return std::nullopt;
}

// Record paths: MaxMind's GeoIP2/GeoLite2 layout first, then ip-location-db's flat layout.
// registered_country (where the network is registered, not where the client is) is never read.
const char* const country_path[] = {"country", "iso_code", nullptr};
const char* const country_flat_path[] = {"country_code", nullptr};
const char* const continent_path[] = {"continent", "code", nullptr};
const char* const subdivision_path[] = {"subdivisions", "0", "iso_code", nullptr};
const char* const state_flat_path[] = {"state1", nullptr};
const char* const latitude_path[] = {"location", "latitude", nullptr};
const char* const latitude_flat_path[] = {"latitude", nullptr};
const char* const longitude_path[] = {"location", "longitude", nullptr};
const char* const longitude_flat_path[] = {"longitude", nullptr};

const char* const* const country_paths[] = {country_path, country_flat_path};
const char* const* const continent_paths[] = {continent_path};
const char* const* const latitude_paths[] = {latitude_path, latitude_flat_path};
const char* const* const longitude_paths[] = {longitude_path, longitude_flat_path};

// Fills `info` from one record. False when the record is corrupt.
bool read_record(const MMDB_entry_s& entry, GeoInfo& info) noexcept {
  MMDB_entry_data_s data;

  Field field = read_first(entry, country_paths, data);
  if (field == Field::broken) return false;
  if (field == Field::present) copy_code(string_of(data), 2, info.country);

  field = read_first(entry, continent_paths, data);
  if (field == Field::broken) return false;
  if (field == Field::present) copy_code(string_of(data), 2, info.continent);

  // GeoIP2 gives the ISO 3166-2 code; the flat layout gives an English name to translate.
  field = read_field(entry, subdivision_path, data);
  if (field == Field::broken) return false;
  if (field == Field::present) {
    copy_code(string_of(data), 1, info.subdivision);
  } else {
    field = read_field(entry, state_flat_path, data);
    if (field == Field::broken) return false;
    if (field == Field::present && !info.country_code().empty())
      copy_code(subdivision_code(info.country_code(), string_of(data)), 1, info.subdivision);
  }

  std::optional<double> latitude;
  std::optional<double> longitude;
  field = read_first(entry, latitude_paths, data);
  if (field == Field::broken) return false;
  if (field == Field::present) latitude = number_of(data);
  field = read_first(entry, longitude_paths, data);
  if (field == Field::broken) return false;
  if (field == Field::present) longitude = number_of(data);

  if (latitude && longitude && std::isfinite(*latitude) && std::isfinite(*longitude) &&
      std::abs(*latitude) <= 90 && std::abs(*longitude) <= 180) {
    info.coordinates = Coordinates{*latitude, *longitude};
  } else if (!info.country_code().empty()) {
    info.coordinates = country_centroid(info.country_code());
  }
  if (info.coordinates) info.position = unit_vector(*info.coordinates);
  return true;
}

// ::ffff:a.b.c.d, as dual-stack sockets report IPv4 clients.
bool is_v4_mapped(const Address& address) noexcept {
  if (address.family != Family::v6) return false;
  for (size_t i = 0; i < 10; ++i)
    if (address.bytes[i] != 0) return false;
  return address.bytes[10] == 0xff && address.bytes[11] == 0xff;
}

}  // namespace

struct GeoDb::Impl {
  std::vector<MmdbHandle> databases;
  uint32_t id = 0;  // tells this database's records apart from a reloaded one's in the caches
};

// Where an address was found: which file, which record, and the matching network's prefix.
struct GeoDb::Match {
  bool found = false;
  uint16_t file = 0;
  uint8_t prefix = 0;  // in the family of the address asked about
  uint32_t offset = 0;
};

namespace {

// The per-thread caches below are 4 MiB of random access. On 4 KiB pages nearly every lookup
// missed the TLB once the kernel's packet work had been through it, so they ask for transparent
// huge pages (2 MiB): advice only, without THP they are ordinary pages.
// Mapped directly: from malloc the block could come out of pages already touched (glibc raises
// its mmap threshold after the config's big blocks are freed), which the advice cannot change.
constexpr size_t huge_page = size_t{2} << 20;

template <typename T>
constexpr size_t huge_page_bytes() {
  return (sizeof(T) + huge_page - 1) / huge_page * huge_page;
}

template <typename T>
struct HugePageDeleter {
  void operator()(T* object) const noexcept {
    object->~T();
    munmap(object, huge_page_bytes<T>());
  }
};
template <typename T>
using HugePagePtr = std::unique_ptr<T, HugePageDeleter<T>>;

template <typename T>
HugePagePtr<T> make_on_huge_pages() {
  const size_t size = huge_page_bytes<T>();
  // Map a huge page more than needed, then trim both ends so the block starts on a 2 MiB boundary.
  void* mapped = mmap(nullptr, size + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(mapped);
  const uintptr_t aligned = (start + huge_page - 1) & ~(huge_page - 1);
  const size_t head = aligned - start;  // below one huge page, so the tail is never empty
  if (head > 0) munmap(mapped, head);
  munmap(reinterpret_cast<void*>(aligned + size), huge_page - head);
  void* memory = reinterpret_cast<void*>(aligned);
  madvise(memory, size, MADV_HUGEPAGE);  // before the first touch, so the faults map huge pages
  return HugePagePtr<T>(new (memory) T());
}

// Decoding a record walks its maps once per field (about twenty thousand instructions for a
// city record); many networks share one record. So each thread keeps the records it decoded,
// direct-mapped by (database, file, record offset). Allocated once per thread, never per lookup.
struct CachedRecord {
  uint32_t database = 0;  // 0: empty slot
  uint32_t offset = 0;
  uint16_t file = 0;
  bool usable = false;
  GeoInfo info;
};
constexpr size_t record_cache_size = 32768;  // about 3 MiB per thread
thread_local HugePagePtr<std::array<CachedRecord, record_cache_size>> record_cache;

// Answers by address: resolvers send the same ECS networks again and again, and the tree walk
// (a thousand instructions for an IPv4 address in an IPv6 tree) is then the whole cost. An
// answer names its record instead of holding a copy: 32 bytes, four to a set of two cache
// lines. A direct-mapped table of 112-byte copies missed the CPU's caches and lost a fifth of
// 4,096 client networks to collisions; two ways still lost 9% (meridian-answer-time geo-ecs).
struct CachedAnswer {
  uint64_t high = 0;      // the address's bytes 0-7
  uint64_t low = 0;       // and 8-15
  uint32_t database = 0;  // 0: empty slot
  uint32_t offset = 0;
  uint16_t file = 0;
  uint8_t prefix = 0;
  Family family = Family::v4;
  bool found = false;
};
static_assert(sizeof(CachedAnswer) == 32);
// Four ways per set, most recently filled first.
struct alignas(128) AnswerSet {
  std::array<CachedAnswer, 4> ways;
};
constexpr size_t answer_sets = 8192;  // 32,768 answers, 1 MiB per thread
thread_local HugePagePtr<std::array<AnswerSet, answer_sets>> answer_cache;

std::atomic<uint32_t> next_database_id{1};

// The decoded record at `offset` of `database`, from this thread's record cache.
const CachedRecord& decoded(uint32_t id, const MMDB_s& database, uint16_t file, uint32_t offset) noexcept {
  if (!record_cache) record_cache = make_on_huge_pages<std::array<CachedRecord, record_cache_size>>();
  CachedRecord& slot = (*record_cache)[(offset * 2654435761u + file) % record_cache_size];
  if (slot.database != id || slot.offset != offset || slot.file != file) {
    slot.database = id;
    slot.offset = offset;
    slot.file = file;
    slot.info = GeoInfo{};
    const MMDB_entry_s entry{.mmdb = &database, .offset = offset};
    slot.usable = read_record(entry, slot.info);
  }
  return slot;
}

}  // namespace

GeoDb::GeoDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GeoDb::~GeoDb() = default;

std::unique_ptr<GeoDb> GeoDb::open(const std::vector<std::string>& paths) {
  auto impl = std::make_unique<Impl>();
  do impl->id = next_database_id.fetch_add(1);
  while (impl->id == 0);  // 0 marks an empty cache slot
  if (paths.size() > UINT16_MAX) throw GeoError("too many GeoIP files");
  impl->databases.reserve(paths.size());
  for (const std::string& path : paths) impl->databases.push_back(open_database(path));
  return std::unique_ptr<GeoDb>(new GeoDb(std::move(impl)));
}

namespace {

struct AnswerKey {
  uint64_t high = 0;  // the address's bytes 0-7
  uint64_t low = 0;   // and 8-15
  size_t set = 0;     // index into answer_cache
};

AnswerKey answer_key(const Address& address) noexcept {
  AnswerKey key;
  std::memcpy(&key.high, address.bytes.data(), 8);
  std::memcpy(&key.low, address.bytes.data() + 8, 8);
  // MurmurHash3's finaliser: every input bit reaches the set index (a /56 differs from its
  // neighbours only in byte 6, which a plain multiply never carries down to the low bits).
  uint64_t mixed = key.high ^ (key.low * 0x9e3779b97f4a7c15ull) ^ uint64_t(address.family);
  mixed = (mixed ^ (mixed >> 33)) * 0xff51afd7ed558ccdull;
  mixed = (mixed ^ (mixed >> 33)) * 0xc4ceb9fe1a85ec53ull;
  mixed ^= mixed >> 33;
  key.set = mixed % answer_sets;
  return key;
}

}  // namespace

void GeoDb::prefetch(const Address& address) const noexcept {
  if (!answer_cache) return;
  const auto* set = reinterpret_cast<const char*>(&(*answer_cache)[answer_key(address).set]);
  __builtin_prefetch(set);
  __builtin_prefetch(set + 64);
}

GeoInfo GeoDb::lookup(const Address& address) const noexcept {
  GeoInfo info;
  lookup(address, info);
  return info;
}

void GeoDb::lookup(const Address& address, GeoInfo& out) const noexcept {
  if (!answer_cache) answer_cache = make_on_huge_pages<std::array<AnswerSet, answer_sets>>();
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  const AnswerKey key = answer_key(address);
  const uint64_t high = key.high, low = key.low;
  auto& ways = (*answer_cache)[key.set].ways;
  auto holds = [&](const CachedAnswer& way) {
    return way.database == impl_->id && way.high == high && way.low == low && way.family == address.family;
  };
  const CachedAnswer* cached = nullptr;
  for (const CachedAnswer& way : ways)
    if (holds(way)) {
      cached = &way;
      break;
    }
  if (!cached) {
    const Match match = search(address);
    std::copy_backward(ways.begin(), ways.end() - 1, ways.end());
    ways[0] = CachedAnswer{.high = high, .low = low, .database = impl_->id, .offset = match.offset,
                           .file = match.file, .prefix = match.prefix, .family = address.family,
                           .found = match.found};
    cached = &ways[0];
  }
  if (!cached->found) {
    out = GeoInfo{};
    return;
  }
  const CachedRecord& record = decoded(impl_->id, *impl_->databases[cached->file], cached->file, cached->offset);
  if (!record.usable) {  // search() skips these; a record decodes the same way twice
    out = GeoInfo{};
    return;
  }
  out = record.info;
  out.found = true;
  out.prefix = cached->prefix;
}

GeoDb::Match GeoDb::search(const Address& address) const noexcept {
  // An IPv4-mapped address is looked up as the IPv4 address it carries: not every database
  // aliases ::ffff:0:0/96 to its IPv4 data. Its prefix is still reported in IPv6 terms.
  const bool mapped = is_v4_mapped(address);
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  const sockaddr* socket_address = nullptr;
  if (address.family == Family::v4 || mapped) {
    v4.sin_family = AF_INET;
    std::memcpy(&v4.sin_addr, address.bytes.data() + (mapped ? 12 : 0), 4);
    socket_address = reinterpret_cast<const sockaddr*>(&v4);
  } else {
    v6.sin6_family = AF_INET6;
    std::memcpy(&v6.sin6_addr, address.bytes.data(), 16);
    socket_address = reinterpret_cast<const sockaddr*>(&v6);
  }

  for (uint16_t file = 0; file < impl_->databases.size(); ++file) {
    const MmdbHandle& database = impl_->databases[file];
    int error = MMDB_SUCCESS;
    const MMDB_lookup_result_s result =
        MMDB_lookup_sockaddr(database.get(), socket_address, &error);
    // An IPv6 address in an IPv4-only file, or a corrupt search tree: not in this file.
    if (error != MMDB_SUCCESS || !result.found_entry) continue;
    // A corrupt record counts as absent.
    if (!decoded(impl_->id, *database, file, result.entry.offset).usable) continue;
    // libmaxminddb counts an IPv4 lookup in an IPv6 tree from the root of that tree, where IPv4
    // sits at ::/96; callers want the prefix in the family of the address they asked about.
    unsigned prefix = result.netmask;
    if (socket_address->sa_family == AF_INET && database->metadata.ip_version == 6)
      prefix = prefix >= 96 ? prefix - 96 : 0;
    if (mapped) prefix += 96;
    return Match{.found = true, .file = file,
                 .prefix = static_cast<uint8_t>(std::min(prefix, address.max_prefix())),
                 .offset = result.entry.offset};
  }
  return Match{};
}

namespace {

// find_country's walk over one database's search tree. A record is a child of a search node:
// another node, a data record, or nothing.
struct TreeRecord {
  uint8_t type = MMDB_RECORD_TYPE_EMPTY;
  uint32_t value = 0;   // the node number (search node) or the data offset (data record)
  unsigned prefix = 0;  // the network's length, counted from where the walk started
  Address network;      // the bits taken to reach it, in the family being walked
};

TreeRecord record_of(const MMDB_search_node_s& node, bool right, unsigned prefix, const Address& network) {
  TreeRecord child{.type = right ? node.right_record_type : node.left_record_type,
                   .prefix = prefix + 1,
                   .network = network};
  if (child.type == MMDB_RECORD_TYPE_SEARCH_NODE)
    child.value = static_cast<uint32_t>(right ? node.right_record : node.left_record);
  else if (child.type == MMDB_RECORD_TYPE_DATA)
    child.value = right ? node.right_record_entry.offset : node.left_record_entry.offset;
  if (right) child.network.bytes[prefix / 8] |= static_cast<uint8_t>(0x80u >> (prefix % 8));
  return child;
}

// The record reached from the root by 96 zero bits: the root of IPv4 in an IPv6 tree (::/96).
// EMPTY when the tree has no IPv4 part.
TreeRecord ipv4_root(const MMDB_s& database) noexcept {
  TreeRecord record{.type = MMDB_RECORD_TYPE_SEARCH_NODE, .network = Address{.family = Family::v6}};
  MMDB_search_node_s node;
  for (unsigned depth = 0; depth < 96 && record.type == MMDB_RECORD_TYPE_SEARCH_NODE; ++depth) {
    if (MMDB_read_node(&database, record.value, &node) != MMDB_SUCCESS) return TreeRecord{};
    record = record_of(node, false, depth, Address{.family = Family::v6});
  }
  record.prefix = 0;
  record.network = Address{.family = Family::v4};
  return record;
}

// IPv6 networks that hold IPv4 data under another name: ::/96 itself, and the aliases
// MaxMind's writer points at it (::ffff:0:0/96 IPv4-mapped, 2002::/16 6to4). Walking them would
// find every IPv4 network again, as IPv6.
bool is_ipv4_in_disguise(const TreeRecord& record, const TreeRecord& ipv4) {
  // Any other alias points at the same node: MaxMind's writer also aliases Teredo's 2001::/32
  // (DB-IP's data has a real record there instead, which is kept).
  if (record.type == MMDB_RECORD_TYPE_SEARCH_NODE && ipv4.type == MMDB_RECORD_TYPE_SEARCH_NODE &&
      record.value == ipv4.value)
    return true;
  static const std::array<Cidr, 3> disguises = {*Cidr::parse("::/96"), *Cidr::parse("::ffff:0:0/96"),
                                                *Cidr::parse("2002::/16")};
  return std::any_of(disguises.begin(), disguises.end(), [&](const Cidr& disguise) {
    return record.prefix == disguise.prefix && record.network == disguise.network;
  });
}

// Whether the record at `offset` names `country` (upper case): read by read_record, as lookup()
// reads it, so a record lookup() would skip as corrupt is skipped here too.
bool names_country(const MMDB_s& database, uint32_t offset, std::string_view country) noexcept {
  GeoInfo info;
  return read_record(MMDB_entry_s{.mmdb = &database, .offset = offset}, info) &&
         info.country_code() == country;
}

// Depth-first, left (0) before right (1): the first match is the lowest network.
std::optional<Cidr> first_network_in(const MMDB_s& database, std::string_view country, Family family) {
  const bool ipv6_tree = database.metadata.ip_version == 6;
  if (family == Family::v6 && !ipv6_tree) return std::nullopt;
  const TreeRecord ipv4 =
      ipv6_tree ? ipv4_root(database) : TreeRecord{.type = MMDB_RECORD_TYPE_SEARCH_NODE, .network = {}};
  const unsigned max_prefix = family == Family::v4 ? 32 : 128;

  std::vector<TreeRecord> pending;  // at most two per level: bounded by the tree's depth
  if (family == Family::v4)
    pending.push_back(ipv4);
  else
    pending.push_back(
        TreeRecord{.type = MMDB_RECORD_TYPE_SEARCH_NODE, .network = Address{.family = Family::v6}});
  // Many networks share one record: each is read once.
  std::unordered_map<uint32_t, bool> matches;
  // A node met again was searched to the end without a match (depth first, its subtree was
  // finished before anything pushed earlier), or is its own ancestor in a corrupt tree: either
  // way there is nothing new below it. This bounds the walk by the node count even for a
  // corrupt tree whose records all point back at a few nodes (2^depth paths).
  std::vector<bool> visited(database.metadata.node_count);
  MMDB_search_node_s node;
  while (!pending.empty()) {
    const TreeRecord record = pending.back();
    pending.pop_back();
    if (record.type == MMDB_RECORD_TYPE_DATA) {
      auto [known, inserted] = matches.try_emplace(record.value, false);
      if (inserted) known->second = names_country(database, record.value, country);
      if (known->second)
        return Cidr{.network = record.network.masked(record.prefix), .prefix = record.prefix};
      continue;
    }
    // A search node below the last bit, or one libmaxminddb cannot read, is a corrupt tree.
    if (record.type != MMDB_RECORD_TYPE_SEARCH_NODE || record.prefix >= max_prefix) continue;
    if (record.value >= visited.size() || visited[record.value]) continue;
    visited[record.value] = true;
    if (MMDB_read_node(&database, record.value, &node) != MMDB_SUCCESS) continue;
    for (const bool right : {true, false}) {  // right first: the stack pops left first
      const TreeRecord child = record_of(node, right, record.prefix, record.network);
      if (child.type != MMDB_RECORD_TYPE_SEARCH_NODE && child.type != MMDB_RECORD_TYPE_DATA) continue;
      if (family == Family::v6 && is_ipv4_in_disguise(child, ipv4)) continue;
      pending.push_back(child);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Cidr> GeoDb::find_country(std::string_view country, Family family) const {
  std::array<char, 3> code{};
  copy_code(country, 2, code);
  if (std::string_view(code.data()).size() != 2) return std::nullopt;  // no record names anything else
  for (const MmdbHandle& database : impl_->databases)
    if (auto network = first_network_in(*database, code.data(), family)) return network;
  return std::nullopt;
}

}  // namespace meridian::geo
