import Foundation

/// A line chart rendered to standalone SVG: title, labelled axes with round ticks, lines with
/// optional shaded bands (±standard error), a legend. Written here because no Swift plotting
/// library is available at the pinned versions, and a chart is a few rectangles, paths and
/// labels.
public struct SVGChart {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// A band around the line: (x, low, high).
        public var band: [(x: Double, low: Double, high: Double)] = []
        public var opacity = 1.0
        public var width = 1.8
        /// Markers instead of a line (a value per category, a handful of evaluations).
        public var markers = false
        /// Leave it out of the legend (a faint raw curve under its rolling mean).
        public var legend = true
        public var colorIndex: Int

        public init(name: String, points: [(x: Double, y: Double)], colorIndex: Int) {
            self.name = name
            self.points = points
            self.colorIndex = colorIndex
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    /// Names for integer x positions (a categorical axis).
    public var categories: [String]? = nil
    public var width = 760.0, height = 380.0

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    public var svg: String {
        let left = 78.0, right = 190.0, top = 40.0, bottom = 58.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) + $0.band.map(\.x) }
        let ys = series.flatMap { $0.points.map(\.y) + $0.band.flatMap { [$0.low, $0.high] } }.filter(\.isFinite)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(width / 2 - right / 2 + left / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>\n"
        guard let xMin = xs.min(), let xMax = xs.max(), let yMin0 = ys.min(), let yMax0 = ys.max() else {
            out += "<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" text-anchor=\"middle\" fill=\"#666\">no data</text>\n</svg>\n"
            return out
        }
        let xTicks = categories != nil ? (0..<(categories!.count)).map(Double.init) : Self.ticks(xMin, xMax)
        let yTicks = Self.ticks(yMin0, yMax0)
        let x0 = categories != nil ? -0.5 : min(xMin, xTicks.first!), x1 = categories != nil ? Double(categories!.count) - 0.5 : max(xMax, xTicks.last!)
        let y0 = min(yMin0, yTicks.first!), y1 = max(yMax0, yTicks.last!)
        func px(_ x: Double) -> Double { left + (x1 == x0 ? 0.5 : (x - x0) / (x1 - x0)) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - (y1 == y0 ? 0.5 : (y - y0) / (y1 - y0)) * plotHeight }
        // Grid, ticks, axes.
        for t in yTicks {
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(py(t)))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(Self.label(t))</text>\n"
        }
        for (i, t) in xTicks.enumerated() {
            out += "<line x1=\"\(f(px(t)))\" x2=\"\(f(px(t)))\" y1=\"\(f(top + plotHeight))\" y2=\"\(f(top + plotHeight + 5))\" stroke=\"#333\"/>\n"
            let text = categories.map { $0[i] } ?? Self.label(t)
            out += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotHeight + 19))\" text-anchor=\"middle\">\(escape(text))</text>\n"
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(18 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        // Data.
        for s in series {
            let color = Self.palette[s.colorIndex % Self.palette.count]
            if !s.band.isEmpty {
                let upper = s.band.map { "\(f(px($0.x))),\(f(py($0.high)))" }
                let lower = s.band.reversed().map { "\(f(px($0.x))),\(f(py($0.low)))" }
                out += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
            }
            let finite = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            if s.markers {
                for p in finite {
                    out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"4\" fill=\"\(color)\" fill-opacity=\"\(f(s.opacity))\"/>\n"
                }
            } else if !finite.isEmpty {
                let path = finite.enumerated().map { ($0.offset == 0 ? "M" : "L") + "\(f(px($0.element.x))) \(f(py($0.element.y)))" }.joined(separator: " ")
                out += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(f(s.width))\" stroke-opacity=\"\(f(s.opacity))\"/>\n"
            }
        }
        // Legend.
        var y = top + 8
        for s in series where s.legend {
            let color = Self.palette[s.colorIndex % Self.palette.count]
            out += "<rect x=\"\(f(left + plotWidth + 14))\" y=\"\(f(y))\" width=\"14\" height=\"4\" fill=\"\(color)\"/>\n"
            out += "<text x=\"\(f(left + plotWidth + 34))\" y=\"\(f(y + 6))\">\(escape(Self.shorten(s.name)))</text>\n"
            y += 18
        }
        return out + "</svg>\n"
    }

    /// About five round ticks (1, 2 or 5 × 10ᵏ apart) covering [low, high].
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        guard high > low else { return [low] }
        let raw = (high - low) / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var t = floor(low / step) * step, result: [Double] = []
        while t <= high + step * 1e-9 {
            if t >= low - step * 1e-9 { result.append(abs(t) < step * 1e-9 ? 0 : t) }
            t += step
        }
        return result.isEmpty ? [low, high] : result
    }

    /// 12k, 1.5M, 0.25, −200.
    static func label(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e6 { return trim(String(format: "%.2f", v / 1e6)) + "M" }
        if a >= 1e4 { return trim(String(format: "%.1f", v / 1e3)) + "k" }
        if a >= 100 || v == v.rounded() { return String(format: "%.0f", v) }
        return trim(String(format: "%.3g", v))
    }

    static func trim(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = s
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }

    static func shorten(_ s: String) -> String { s.count > 26 ? String(s.prefix(25)) + "…" : s }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

/// Text for XML and HTML.
func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
