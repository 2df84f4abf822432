extension Baton_V1_WatchRequest {
    /// The trailing metadata key of Events/Watch holding the last sequence the server examined,
    /// sent or filtered out: where a watch with filters resumes (see events.proto). One name for
    /// the server that sets it and the clients that read it.
    public static let resumeAfterMetadataKey = "resume-after-sequence"
}
