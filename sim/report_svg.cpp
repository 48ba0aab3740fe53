// The report as a standalone SVG timeline: one lane per client with its answers coloured by
// endpoint, the outages and timeline marks across the lanes, a legend, and the failover figures.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/palette.h"
#include "sim/report.h"
#include "sim/report_format.h"

namespace meridian::sim {
namespace {

constexpr double margin = 16;
constexpr double lane_height = 26;
constexpr double cached_lane_height = 10;
constexpr double cached_lane_gap = 3;
constexpr double client_gap = 16;
constexpr double region_row_height = 16;
constexpr double mark_row_height = 14;
constexpr size_t most_mark_rows = 6;  // beyond that, labels may overlap: a report is not a zoomable chart
constexpr std::string_view font = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";

std::string escape(std::string_view text) {
  std::string escaped;
  for (const char c : text) switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&apos;"; break;
      default: escaped += c;
    }
  return escaped;
}

// A guess at a label's width, for layout only: the SVG is not measured, and a generous guess
// (DejaVu Sans, the widest common fallback) leaves room rather than overlapping.
double text_width(std::string_view text, double font_size) {
  size_t glyphs = 0;
  for (const unsigned char byte : text)
    if ((byte & 0xC0) != 0x80) ++glyphs;
  return static_cast<double>(glyphs) * font_size * 0.6;
}

// The smallest round step that keeps the axis at no more than twelve ticks (eleven steps).
Seconds tick_step(Seconds duration) {
  static constexpr Seconds steps[] = {0.1, 0.2, 0.5, 1,    2,    5,    10,    15,    30,    60,   120,
                                      300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
  for (const Seconds step : steps)
    if (duration / step <= 11) return step;
  return std::ceil(duration / 11 / 86400) * 86400;
}

std::string mark_label(const Mark& mark) {
  return mark.target.empty() ? mark.kind : mark.kind + " " + mark.target;
}

class SvgTimeline {
 public:
  explicit SvgTimeline(const Report& report) : report_(report) {
    for (size_t index = 0; index < report.endpoints.size(); ++index)
      colour_index_[report.endpoints[index]] = index;
    for (const auto& outage : report.outages)
      if (std::find(regions_.begin(), regions_.end(), outage.region) == regions_.end())
        regions_.push_back(outage.region);
    double label_width = 120;
    bool any_cached = false;
    for (const auto& client : report.clients) {
      label_width = std::max({label_width, text_width(client.name, 13), text_width(client.where, 11)});
      any_cached = any_cached || client.cached.has_value();
    }
    for (const auto& region : regions_) label_width = std::max(label_width, text_width(region, 11));
    // The cached lane's own small label sits at the column's right edge, beside the where line.
    if (any_cached) label_width += 40;
    plot_left_ = margin + label_width + 12;
    for (const auto& line : footer_lines()) width_ = std::max(width_, text_width(line.text, 12) + 2 * margin);
    plot_right_ = width_ - margin - 8;
    span_ = std::max(report.duration, 1.0);
  }

  std::string render() {
    std::string body;
    double y = draw_title(body);
    y = place_mark_labels(y);
    const double regions_top = y;
    y = draw_regions(body, y);
    const double lanes_top = y + 6;
    const double lanes_bottom = lanes_top + lanes_height();
    draw_outage_bands(body, regions_top, lanes_bottom);
    draw_grid(body, lanes_top, lanes_bottom);
    draw_lanes(body, lanes_top);
    draw_marks(body, lanes_bottom);
    y = draw_axis(body, lanes_bottom + 4);
    y = draw_legend(body, y + 18);
    y = draw_footer(body, y + 22);
    const double height = y + margin;

    std::string out;
    fmt::format_to(std::back_inserter(out),
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
                   "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"{2}\">\n",
                   width_, height, font);
    out += defs();
    fmt::format_to(std::back_inserter(out), "<rect width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#ffffff\"/>\n",
                   width_, height);
    out += body;
    out += "</svg>\n";
    return out;
  }

 private:
  struct FooterLine {
    std::string text;  // plain, for the width guess
    std::string markup;
  };

  double x(Seconds at) const {
    return plot_left_ + std::clamp(at, 0.0, span_) / span_ * (plot_right_ - plot_left_);
  }

  size_t colour_index(const std::string& endpoint) const {
    const auto found = colour_index_.find(endpoint);
    return found == colour_index_.end() ? report_.endpoints.size() : found->second;
  }

  std::string fill_of(const Segment& segment) const {
    return segment.endpoints.empty() ? "url(#no-answer)"
                                     : hex(endpoint_colour(colour_index(segment.endpoints[0])));
  }

  static std::string defs() {
    return fmt::format(
        "<defs>\n"
        "<pattern id=\"no-answer\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
        "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{0}\"/>"
        "<line x1=\"3\" y1=\"0\" x2=\"3\" y2=\"6\" stroke=\"{1}\" stroke-width=\"2\"/></pattern>\n"
        "<pattern id=\"dead\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
        "patternTransform=\"rotate(-45)\"><line x1=\"4\" y1=\"0\" x2=\"4\" y2=\"8\" stroke=\"{2}\" "
        "stroke-width=\"2\"/></pattern>\n"
        "</defs>\n",
        hex(no_answer_fill), hex(no_answer_hatch), hex(dead_red));
  }

  double draw_title(std::string& out) const {
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"{}\" y=\"30\" font-size=\"18\" font-weight=\"bold\" fill=\"#222\">{} "
                   "<tspan font-weight=\"normal\" fill=\"#666\">({})</tspan></text>\n"
                   "<text x=\"{}\" y=\"50\" font-size=\"12\" fill=\"#666\">duration {}, {} client{}, {} "
                   "outage{}</text>\n",
                   margin, escape(report_.scenario), escape(report_.mode), margin,
                   format_time(report_.duration), report_.clients.size(),
                   report_.clients.size() == 1 ? "" : "s", report_.outages.size(),
                   report_.outages.size() == 1 ? "" : "s");
    return 62;
  }

  // Greedy rows for the mark labels: each goes on the first row where it does not run into the
  // previous label; near the right edge a label hangs left of its line.
  double place_mark_labels(double top) {
    std::vector<double> row_ends;
    std::vector<const Mark*> marks;
    for (const auto& mark : report_.marks) marks.push_back(&mark);
    std::stable_sort(marks.begin(), marks.end(), [](const Mark* a, const Mark* b) { return a->at < b->at; });
    for (const Mark* mark : marks) {
      const double line = x(mark->at), width = text_width(mark_label(*mark), 11);
      const bool hang_left = line + 3 + width > plot_right_;
      const double left = hang_left ? line - 3 - width : line + 3;
      size_t row = 0;
      while (row < row_ends.size() && row_ends[row] > left - 6) ++row;
      if (row == row_ends.size()) {
        if (row_ends.size() < most_mark_rows)
          row_ends.push_back(0);
        else
          row = std::min_element(row_ends.begin(), row_ends.end()) - row_ends.begin();
      }
      row_ends[row] = left + width;
      mark_labels_.push_back({mark, left, top + 11 + static_cast<double>(row) * mark_row_height});
    }
    return top + static_cast<double>(row_ends.size()) * mark_row_height + (row_ends.empty() ? 0 : 6);
  }

  double draw_regions(std::string& out, double top) const {
    for (size_t row = 0; row < regions_.size(); ++row) {
      const double y = top + static_cast<double>(row) * (region_row_height + 4);
      fmt::format_to(
          std::back_inserter(out),
          "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#444\" text-anchor=\"end\">{}</text>\n",
          plot_left_ - 8, y + 12, escape(regions_[row]));
      for (const auto& outage : report_.outages) {
        if (outage.region != regions_[row]) continue;
        const double left = x(outage.from), right = x(outage.to.value_or(span_));
        const std::string kind = outage.to ? outage.kind : outage.kind + " (until the end)";
        fmt::format_to(std::back_inserter(out),
                       "<rect class=\"outage\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" "
                       "fill=\"{}\" fill-opacity=\"0.22\" stroke=\"{}\"><title>{} {}: {} {}</title></rect>\n",
                       left, y, std::max(right - left, 1.0), region_row_height, hex(dead_red), hex(dead_red),
                       escape(outage.region), escape(outage.endpoint), escape(outage.kind),
                       format_span(outage.from, outage.to.value_or(report_.duration)));
        if (right - left > text_width(kind, 10) + 8)
          fmt::format_to(std::back_inserter(out),
                         "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" fill=\"#7a1414\">{}</text>\n",
                         left + 4, y + 11.5, escape(kind));
      }
    }
    return top + static_cast<double>(regions_.size()) * (region_row_height + 4);
  }

  double client_height(const ClientReport& client) const {
    const double lanes = lane_height + (client.cached ? cached_lane_gap + cached_lane_height : 0);
    return std::max(lanes, 30.0) + client_gap;
  }

  double lanes_height() const {
    double height = 0;
    for (const auto& client : report_.clients) height += client_height(client);
    return height;
  }

  void draw_outage_bands(std::string& out, double top, double bottom) const {
    for (const auto& outage : report_.outages) {
      const double left = x(outage.from), right = x(outage.to.value_or(span_));
      fmt::format_to(std::back_inserter(out),
                     "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" "
                     "fill-opacity=\"0.07\"/>\n",
                     left, top, std::max(right - left, 1.0), bottom - top, hex(dead_red));
    }
  }

  void draw_grid(std::string& out, double top, double bottom) const {
    const Seconds step = tick_step(span_);
    for (int tick = 0; tick * step <= span_ + 1e-9; ++tick)
      fmt::format_to(
          std::back_inserter(out),
          "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e6e6e6\"/>\n",
          x(tick * step), top, bottom);
  }

  void draw_lanes(std::string& out, double top) const {
    for (size_t index = 0; index < report_.clients.size(); ++index) {
      const auto& client = report_.clients[index];
      fmt::format_to(
          std::back_inserter(out),
          "<text class=\"lane-label\" x=\"{0}\" y=\"{1:.1f}\" font-size=\"13\" font-weight=\"bold\" "
          "fill=\"#222\">{2}</text>\n"
          "<text x=\"{0}\" y=\"{3:.1f}\" font-size=\"11\" fill=\"#666\">{4}</text>\n",
          margin, top + 12, escape(client.name), top + 26, escape(client.where));
      draw_view(out, client.server, index, "server", top, lane_height, true);
      if (client.cached) {
        const double cached_top = top + lane_height + cached_lane_gap;
        fmt::format_to(
            std::back_inserter(out),
            "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"9\" fill=\"#666\" text-anchor=\"end\">cached "
            "(TTL)</text>\n",
            plot_left_ - 6, cached_top + 8.5);
        draw_view(out, *client.cached, index, "cached", cached_top, cached_lane_height, false);
      }
      top += client_height(client);
    }
  }

  void draw_view(std::string& out, const View& view, size_t client, std::string_view view_name, double top,
                 double height, bool with_labels) const {
    for (size_t index = 0; index < view.segments.size(); ++index) {
      const auto& segment = view.segments[index];
      const double left = x(segment.from), width = std::max(x(segment.to) - left, 1.0);
      fmt::format_to(
          std::back_inserter(out),
          "<rect class=\"segment\" data-client=\"{}\" data-view=\"{}\" data-index=\"{}\" x=\"{:.1f}\" "
          "y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>{} {}{}</title></rect>\n",
          client, view_name, index, left, top, width, height, fill_of(segment),
          format_span(segment.from, segment.to), escape(format_answer(segment)),
          segment.dead ? " (dead endpoint)" : "");
      // A multi-value answer: one horizontal stripe per endpoint, the first on top.
      const auto stripes = static_cast<double>(segment.endpoints.size());
      for (size_t stripe = 1; stripe < segment.endpoints.size(); ++stripe)
        fmt::format_to(std::back_inserter(out),
                       "<rect class=\"stripe\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                       "fill=\"{}\"/>\n",
                       left, top + height * static_cast<double>(stripe) / stripes, width, height / stripes,
                       hex(endpoint_colour(colour_index(segment.endpoints[stripe]))));
      if (segment.dead)
        fmt::format_to(std::back_inserter(out),
                       "<rect class=\"dead\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                       "fill=\"url(#dead)\" stroke=\"{}\" stroke-width=\"2\"/>\n",
                       left + 1, top + 1, std::max(width - 2, 0.5), height - 2, hex(dead_red));
      if (with_labels) draw_segment_label(out, segment, left, width, top, height);
    }
  }

  // The answer written on its segment when it fits: in full, else the endpoints without their
  // profile ("westeurope + northeurope"); the tooltip always has it in full.
  void draw_segment_label(std::string& out, const Segment& segment, double left, double width, double top,
                          double height) const {
    std::string text = format_answer(segment);
    if (text_width(text, 11) + 8 > width && !segment.endpoints.empty()) {
      text.clear();
      for (const auto& endpoint : segment.endpoints)
        text += (text.empty() ? "" : " + ") + endpoint.substr(endpoint.find('/') + 1);
    }
    if (text_width(text, 11) + 8 > width) return;
    // Text across stripes gets a light halo: no one text colour reads on all of them.
    const bool striped = segment.endpoints.size() > 1;
    const bool dark_text =
        segment.endpoints.empty() || striped || is_light(endpoint_colour(colour_index(segment.endpoints[0])));
    fmt::format_to(
        std::back_inserter(out), "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"{}\"{}>{}</text>\n",
        left + 4, top + height / 2 + 4, dark_text ? "#222" : "#fff",
        striped ? " stroke=\"#fff\" stroke-opacity=\"0.7\" stroke-width=\"3\" paint-order=\"stroke\"" : "",
        escape(text));
  }

  void draw_marks(std::string& out, double bottom) const {
    for (const auto& [mark, left, baseline] : mark_labels_) {
      const double line = x(mark->at);
      fmt::format_to(std::back_inserter(out),
                     "<line class=\"mark\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" "
                     "stroke=\"#444\" stroke-opacity=\"0.75\" "
                     "stroke-dasharray=\"4 3\"/>\n"
                     "<text x=\"{3:.1f}\" y=\"{4:.1f}\" font-size=\"11\" fill=\"#333\">{5}</text>\n",
                     line, baseline - 10, bottom, left, baseline, escape(mark_label(*mark)));
    }
  }

  double draw_axis(std::string& out, double y) const {
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#444\"/>\n",
                   plot_left_, y, plot_right_, y);
    const Seconds step = tick_step(span_);
    for (int tick = 0; tick * step <= span_ + 1e-9; ++tick)
      fmt::format_to(std::back_inserter(out),
                     "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#444\"/>\n"
                     "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3:.1f}\" font-size=\"11\" fill=\"#444\" "
                     "text-anchor=\"middle\">{4}</text>\n",
                     x(tick * step), y, y + 5, y + 18, format_tick(tick * step));
    return y + 18;
  }

  double draw_legend(std::string& out, double top) const {
    struct Item {
      std::string swatch;  // the markup of a 14x14 swatch at (0,0)
      std::string label;
    };
    std::vector<Item> items;
    for (size_t index = 0; index < report_.endpoints.size(); ++index)
      items.push_back(
          {fmt::format("<rect width=\"14\" height=\"14\" fill=\"{}\"/>", hex(endpoint_colour(index))),
           report_.endpoints[index]});
    items.push_back({"<rect width=\"14\" height=\"14\" fill=\"url(#no-answer)\"/>",
                     "no answer (NODATA, timeout, error)"});
    items.push_back(
        {fmt::format("<rect x=\"1\" y=\"1\" width=\"12\" height=\"12\" fill=\"url(#dead)\" stroke=\"{}\" "
                     "stroke-width=\"2\"/>",
                     hex(dead_red)),
         "answer named a dead endpoint"});
    items.push_back(
        {fmt::format("<rect width=\"14\" height=\"14\" fill=\"{0}\" fill-opacity=\"0.22\" stroke=\"{0}\"/>",
                     hex(dead_red)),
         "region down"});
    double left = margin, y = top;
    for (const auto& item : items) {
      const double width = 14 + 6 + text_width(item.label, 11) + 18;
      if (left + width > width_ - margin && left > margin) {
        left = margin;
        y += 20;
      }
      fmt::format_to(std::back_inserter(out),
                     "<g class=\"legend\" transform=\"translate({:.1f},{:.1f})\">{}<text x=\"20\" y=\"11.5\" "
                     "font-size=\"11\" fill=\"#333\">{}</text></g>\n",
                     left, y, item.swatch, escape(item.label));
      left += width;
    }
    return y + 14;
  }

  // One line per view: "london: failover westeurope 15.2s (worst 35.0s) · ... · dead answers 3.2% (12 of
  // 375)".
  std::vector<FooterLine> footer_lines() const {
    std::vector<FooterLine> lines;
    auto describe = [&](const std::string& title, const View& view) {
      FooterLine line{title + ":", "<tspan font-weight=\"bold\">" + escape(title) + ":</tspan>"};
      auto add = [&](const std::string& plain, const std::string& markup) {
        line.text += plain;
        line.markup += markup;
      };
      for (const auto* recoveries : {&view.failovers, &view.failbacks}) {
        const char* what = recoveries == &view.failovers ? "failover" : "failback";
        for (const auto& recovery : *recoveries) {
          const std::string text = fmt::format(" {} {} {} (worst {})", what, recovery.region,
                                               format_took(recovery), format_time(recovery.worst));
          add(text, escape(text));
          if (over_worst_case(recovery, report_.duration))
            add(" over worst case",
                fmt::format(" <tspan fill=\"{}\" font-weight=\"bold\">over worst case</tspan>",
                            hex(dead_red)));
          add(" \u00b7", " \u00b7");
        }
      }
      const std::string dead = " dead answers " + format_dead_share(view);
      add(dead, escape(dead));
      lines.push_back(std::move(line));
    };
    for (const auto& client : report_.clients) {
      describe(client.name, client.server);
      if (client.cached) describe(client.name + ", with resolver cache (TTL)", *client.cached);
    }
    return lines;
  }

  double draw_footer(std::string& out, double top) const {
    double y = top;
    for (const auto& line : footer_lines()) {
      fmt::format_to(
          std::back_inserter(out),
          "<text class=\"footer\" x=\"{}\" y=\"{:.1f}\" font-size=\"12\" fill=\"#222\">{}</text>\n", margin,
          y, line.markup);
      y += 18;
    }
    return y - 18;
  }

  struct MarkLabel {
    const Mark* mark;
    double left;
    double baseline;
  };

  const Report& report_;
  std::map<std::string, size_t> colour_index_;
  std::vector<std::string> regions_;  // outage rows, in the order they first fail
  std::vector<MarkLabel> mark_labels_;
  double width_ = 1200;
  double plot_left_ = 0, plot_right_ = 0;
  Seconds span_ = 1;  // the axis runs 0..span_ (the duration, at least a second)
};

}  // namespace

std::string render_svg(const Report& report) {
  return SvgTimeline(report).render();
}

}  // namespace meridian::sim
