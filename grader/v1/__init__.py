"""Generated gRPC/protobuf code for proto/grader/v1/grader.proto (regenerate with `make proto`)."""
