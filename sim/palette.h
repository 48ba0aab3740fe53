// The SVG timeline's colours: one per endpoint by its index in Report::endpoints, and the styles
// of answers that name no endpoint and of dead ones, kept apart from every endpoint colour.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace meridian::sim {

struct Rgb {
  uint8_t red, green, blue;
};

// Tableau 10 without its red and grey (those mean "dead" and "no answer" here), plus olive and
// indigo. Past ten endpoints the colours repeat; the segment's tooltip and label still name it.
inline constexpr std::array<Rgb, 10> endpoint_palette{{
    {0x4e, 0x79, 0xa7},  // blue
    {0xf2, 0x8e, 0x2b},  // orange
    {0x59, 0xa1, 0x4f},  // green
    {0xb0, 0x7a, 0xa1},  // purple
    {0x76, 0xb7, 0xb2},  // teal
    {0xed, 0xc9, 0x48},  // yellow
    {0xff, 0x9d, 0xa7},  // pink
    {0x9c, 0x75, 0x5f},  // brown
    {0xbc, 0xbd, 0x22},  // olive
    {0x2f, 0x4b, 0x7c},  // indigo
}};

inline constexpr Rgb no_answer_fill{0xe4, 0xe4, 0xe4};
inline constexpr Rgb no_answer_hatch{0x9a, 0x9a, 0x9a};
inline constexpr Rgb dead_red{0xd6, 0x27, 0x28};

inline Rgb endpoint_colour(size_t index) {
  return endpoint_palette[index % endpoint_palette.size()];
}

inline std::string hex(Rgb colour) {
  return fmt::format("#{:02x}{:02x}{:02x}", colour.red, colour.green, colour.blue);
}

// Dark text on light colours, white on dark ones (perceived luminance, ITU-R BT.601 weights).
inline bool is_light(Rgb colour) {
  return 0.299 * colour.red + 0.587 * colour.green + 0.114 * colour.blue > 150;
}

}  // namespace meridian::sim
