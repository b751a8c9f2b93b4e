/// Mean, variance and standard deviation of a sample (population forms, as numpy's defaults).
public enum Statistics {
    public static func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
    public static func variance(_ values: [Double]) -> Double {
        let m = mean(values)
        return values.isEmpty ? .nan : values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count)
    }
    public static func std(_ values: [Double]) -> Double { variance(values).squareRoot() }
}
