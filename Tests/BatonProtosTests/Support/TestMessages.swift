import BatonProtos

// Short names for the test messages of Protos/baton/test/v1, shared by the codec's tests.
typealias Scalars = Baton_Test_V1_Scalars
typealias Repeateds = Baton_Test_V1_Repeateds
typealias Nested = Baton_Test_V1_Nested
typealias Choice = Baton_Test_V1_Choice
typealias Timestamps = Baton_Test_V1_Timestamps
typealias Timestamp = Google_Protobuf_Timestamp
typealias TestEnum = Baton_Test_V1_TestEnum
