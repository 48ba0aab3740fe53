// The status page the control API serves at GET /: one self-contained HTML document.
#pragma once

#include <string_view>

namespace meridian::server {

// The whole page, CSS and script inline: operators open it on hosts with no way out to the
// internet, so it may load nothing but its own origin's v1/status, which it polls every 2 s.
// It builds its DOM with textContent only, since profile and endpoint names come from a config
// file. Rows carry data-profile/data-endpoint/data-status/data-override for tests and scrapers.
std::string_view status_page_html();

}  // namespace meridian::server
