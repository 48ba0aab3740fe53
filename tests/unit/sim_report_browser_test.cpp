// The failover report's SVG in a real browser: headless Chromium screenshots it, and the pixels
// where a segment was drawn carry its endpoint's colour, while dead and unanswered ones differ.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "sim/palette.h"
#include "sim/report.h"
#include "tests/headless_chromium.h"
#include "tests/unit/sim_report_fixture.h"

using namespace meridian::sim;
using meridian::test::find_chromium;
using meridian::test::headless_flags;
using meridian::test::run_headless;

namespace {

// A fresh folder under the system's temp dir, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sim-report-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

std::string tail(const std::string& text, size_t size = 3000) {
  return text.size() <= size ? text : "..." + text.substr(text.size() - size);
}

// An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's --screenshot writes), as RGB rows.
struct Image {
  uint32_t width = 0, height = 0;
  std::vector<Rgb> pixels;
  Rgb at(double x, double y) const { return pixels[static_cast<size_t>(y) * width + static_cast<size_t>(x)]; }
};

uint32_t big_endian(const unsigned char* bytes) {
  return uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 | bytes[3];
}

std::optional<Image> decode_png(const std::string& file, std::string& why) {
  std::ifstream in(file, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (data.size() < 8 || data.compare(0, 8, "\x89PNG\r\n\x1a\n", 8) != 0)
    return why = "not a PNG", std::nullopt;
  Image image;
  unsigned channels = 0;
  std::string compressed;
  for (size_t at = 8; at + 12 <= data.size();) {
    const uint32_t length = big_endian(bytes + at);
    const std::string type = data.substr(at + 4, 4);
    if (at + 12 + length > data.size()) return why = "a truncated chunk", std::nullopt;
    const unsigned char* body = bytes + at + 8;
    if (type == "IHDR") {
      image.width = big_endian(body);
      image.height = big_endian(body + 4);
      const unsigned depth = body[8], colour_type = body[9], interlace = body[12];
      channels = colour_type == 2 ? 3 : colour_type == 6 ? 4 : 0;
      if (depth != 8 || channels == 0 || interlace != 0)
        return why = fmt::format("unsupported PNG: depth {} colour type {} interlace {}", depth, colour_type,
                                 interlace),
               std::nullopt;
    } else if (type == "IDAT") {
      compressed.append(reinterpret_cast<const char*>(body), length);
    } else if (type == "IEND") {
      break;
    }
    at += 12 + length;
  }
  const size_t stride = size_t(image.width) * channels;
  std::vector<unsigned char> raw(size_t(image.height) * (stride + 1));
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(compressed.data()),
                 compressed.size()) != Z_OK ||
      raw_size != raw.size())
    return why = "the image data does not inflate to its size", std::nullopt;
  // Undo each row's filter (PNG spec, section 9) against the row above, already undone.
  std::vector<unsigned char> previous(stride, 0), row(stride);
  image.pixels.reserve(size_t(image.width) * image.height);
  for (uint32_t y = 0; y < image.height; ++y) {
    const unsigned char filter = raw[y * (stride + 1)];
    const unsigned char* line = &raw[y * (stride + 1) + 1];
    for (size_t i = 0; i < stride; ++i) {
      const int left = i >= channels ? row[i - channels] : 0, up = previous[i];
      const int up_left = i >= channels ? previous[i - channels] : 0;
      int predictor = 0;
      switch (filter) {
        case 0: break;
        case 1: predictor = left; break;
        case 2: predictor = up; break;
        case 3: predictor = (left + up) / 2; break;
        case 4: {
          const int p = left + up - up_left, pa = std::abs(p - left), pb = std::abs(p - up),
                    pc = std::abs(p - up_left);
          predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : up_left;
          break;
        }
        default: return why = fmt::format("row {} has filter {}", y, filter), std::nullopt;
      }
      row[i] = static_cast<unsigned char>(line[i] + predictor);
    }
    for (size_t pixel = 0; pixel < image.width; ++pixel)
      image.pixels.push_back({row[pixel * channels], row[pixel * channels + 1], row[pixel * channels + 2]});
    std::swap(previous, row);
  }
  return image;
}

bool near(Rgb a, Rgb b, int tolerance) {
  return std::abs(a.red - b.red) <= tolerance && std::abs(a.green - b.green) <= tolerance &&
         std::abs(a.blue - b.blue) <= tolerance;
}

struct Box {
  double x = 0, y = 0, width = 0, height = 0;
};

// Where the SVG drew a segment, read from its own markup so the test follows the layout.
std::optional<Box> segment_box(const std::string& svg, size_t client, std::string_view view, size_t index) {
  const std::regex rect(fmt::format(R"re(data-client="{}" data-view="{}" data-index="{}" x="([\d.]+)" )re"
                                    R"re(y="([\d.]+)" width="([\d.]+)" height="([\d.]+)")re",
                                    client, view, index));
  std::smatch match;
  if (!std::regex_search(svg, match, rect)) return std::nullopt;
  return Box{std::stod(match[1]), std::stod(match[2]), std::stod(match[3]), std::stod(match[4])};
}

// The share of pixels inside `box`, kept `inset` pixels off its edges (antialiasing), that pass.
template <typename Test>
double share_inside(const Image& image, const Box& box, double inset, Test&& passes) {
  size_t passed = 0, total = 0;
  for (double y = box.y + inset; y < box.y + box.height - inset; ++y)
    for (double x = box.x + inset; x < box.x + box.width - inset; ++x, ++total)
      if (x < image.width && y < image.height && passes(image.at(x, y))) ++passed;
  return total ? static_cast<double>(passed) / static_cast<double>(total) : 0;
}

}  // namespace

TEST_CASE("the report's SVG, in a real browser, paints segments in their endpoints' colours") {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    MESSAGE("skipped: no chromium found (install it, or set MERIDIAN_CHROMIUM)");
    return;
  }
  const std::string svg = render_svg(test::two_region_outage());
  std::smatch size;
  REQUIRE(std::regex_search(svg, size, std::regex(R"re(^<svg [^>]*width="(\d+)" height="(\d+)")re")));

  TempDir dir;
  const std::string svg_file = dir.path + "/report.svg", shot = dir.path + "/shot.png";
  std::ofstream(svg_file) << svg;
  auto args = headless_flags(dir.path + "/profile", "--headless=new");
  args.insert(args.end(), {"--force-device-scale-factor=1",  // one SVG unit, one pixel
                           "--window-size=" + size[1].str() + "," + size[2].str(), "--screenshot=" + shot,
                           "file://" + svg_file});
  const auto run = run_headless(chromium, std::move(args));
  REQUIRE_MESSAGE(run.finished, "chromium did not finish within 30 s; it was killed\n", tail(run.err));
  REQUIRE_MESSAGE(run.exit_code == 0, "chromium exited with ", run.exit_code, "\n", tail(run.err));
  REQUIRE_MESSAGE(std::filesystem::exists(shot), "no screenshot was written\n", tail(run.err));
  std::error_code ignored;  // a copy to look at; the test does not depend on it
  std::filesystem::copy_file(shot, "/tmp/sim-report-shot.png",
                             std::filesystem::copy_options::overwrite_existing, ignored);

  std::string why;
  const auto image = decode_png(shot, why);
  REQUIRE_MESSAGE(image.has_value(), why);
  CHECK(image->width == std::stoul(size[1]));
  CHECK(image->height == std::stoul(size[2]));

  auto colour_share = [&](size_t client, std::string_view view, size_t index, Rgb colour) {
    const auto box = segment_box(svg, client, view, index);
    REQUIRE_MESSAGE(box.has_value(), "no segment ", client, "/", view, "/", index, " in the SVG");
    return share_inside(*image, *box, 3, [&](Rgb pixel) { return near(pixel, colour, 8); });
  };
  const Rgb westeurope = endpoint_colour(0), eastus = endpoint_colour(1), northeurope = endpoint_colour(2);

  // london, 0-30 s on westeurope; its label covers a little of the segment, the colour the rest.
  CHECK(colour_share(0, "server", 0, westeurope) > 0.7);
  CHECK(colour_share(0, "server", 2, northeurope) > 0.7);
  CHECK(colour_share(0, "cached", 2, northeurope) > 0.9);  // the thin lane, unlabelled

  // The two-endpoint answer: eastus on top, northeurope below (its label, with a halo, covers a third).
  const auto striped = segment_box(svg, 1, "server", 0);
  REQUIRE(striped.has_value());
  const Box top{striped->x, striped->y, striped->width, striped->height / 2};
  const Box bottom{striped->x, striped->y + striped->height / 2, striped->width, striped->height / 2};
  CHECK(share_inside(*image, top, 2, [&](Rgb pixel) { return near(pixel, eastus, 8); }) > 0.5);
  CHECK(share_inside(*image, bottom, 2, [&](Rgb pixel) { return near(pixel, northeurope, 8); }) > 0.5);

  // A dead segment is hatched red over its endpoint's colour.
  CHECK(colour_share(0, "server", 1, westeurope) < 0.9);
  const auto dead = segment_box(svg, 0, "server", 1);
  REQUIRE(dead.has_value());
  CHECK(share_inside(*image, *dead, 3, [](Rgb pixel) { return near(pixel, dead_red, 40); }) > 0.1);

  // A timeout is grey: none of its pixels is taken for an endpoint.
  const auto timeout = segment_box(svg, 1, "server", 3);
  REQUIRE(timeout.has_value());
  for (size_t index = 0; index < endpoint_palette.size(); ++index)
    CHECK(share_inside(*image, *timeout, 2,
                       [&](Rgb pixel) { return near(pixel, endpoint_colour(index), 20); }) < 0.02);
  CHECK(share_inside(*image, *timeout, 2, [](Rgb pixel) {
          return std::abs(pixel.red - pixel.green) < 12 && std::abs(pixel.green - pixel.blue) < 12;
        }) > 0.95);
}
