extension UnsafeMutableBufferPointer {
    /// A new buffer of `count` elements, each `value`: the scratch every layer, loss and agent
    /// allocates once and reuses (raw buffers, because an array stored in a class pays an
    /// exclusivity check per access). The owner deallocates it.
    public static func allocate(capacity count: Int, repeating value: Element) -> UnsafeMutableBufferPointer<Element> {
        let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: count)
        buffer.initialize(repeating: value)
        return buffer
    }
}
