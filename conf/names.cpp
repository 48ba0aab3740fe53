// Domain names between presentation form ("www.Example.com.") and lower-cased wire form.
#include <stdbool.h>  // first: ldns.h would otherwise #define bool for C++
#include <ldns/ldns.h>

#include <memory>
#include <stdexcept>

#include "conf/config.h"

namespace meridian::conf {

model::WireName to_wire_name(std::string_view presentation) {
  std::string text(presentation);
  if (text.empty()) throw std::invalid_argument("empty domain name");
  if (text.back() != '.') text += '.';
  ldns_rdf* raw = nullptr;
  if (ldns_str2rdf_dname(&raw, text.c_str()) != LDNS_STATUS_OK || raw == nullptr)
    throw std::invalid_argument("malformed domain name \"" + std::string(presentation) + "\"");
  std::unique_ptr<ldns_rdf, decltype(&ldns_rdf_deep_free)> name(raw, ldns_rdf_deep_free);
  ldns_dname2canonical(name.get());
  return model::WireName(reinterpret_cast<const char*>(ldns_rdf_data(name.get())),
                         ldns_rdf_size(name.get()));
}

std::string_view parent_wire_name(std::string_view wire) {
  if (wire.empty() || wire[0] == 0) return {};
  return wire.substr(1 + static_cast<unsigned char>(wire[0]));
}

std::string from_wire_name(std::string_view wire) {
  ldns_rdf* raw = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire.size(), wire.data());
  if (raw == nullptr) throw std::invalid_argument("malformed wire name");
  std::unique_ptr<ldns_rdf, decltype(&ldns_rdf_deep_free)> name(raw, ldns_rdf_deep_free);
  std::unique_ptr<char, decltype(&free)> text(ldns_rdf2str(name.get()), free);
  std::string result = text ? text.get() : "";
  if (result.size() > 1 && result.back() == '.') result.pop_back();
  return result;
}

}  // namespace meridian::conf
