package ingest

/*
#cgo pkg-config: libavcodec libavutil libswscale
#include <stdint.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

// One camera's decoder. Everything the frame loop touches is allocated once
// here, so decoding a packet makes no allocation of ours (libavcodec keeps
// its own pools).
typedef struct {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
	struct SwsContext *sws;
	// buf holds the Annex-B bytes of the access unit being fed. It is
	// reference counted so that avcodec_send_packet takes a reference
	// instead of copying the access unit into a fresh allocation.
	AVBufferRef *buf;
	int dst_w, dst_h;
	// Filled by sl_decode for the picture that came out (here rather than
	// through a pointer argument, which would move a Go variable to the heap
	// on every call).
	int got;
	// draining: the end of the stream was signalled and the pictures
	// still held back are being taken (sl_drain).
	int draining;
	int64_t pts;
	int corrupt;
	// The analysis rate: with gap > 0 (microseconds), a picture whose PTS
	// comes before next is decoded (later pictures reference it) but not
	// scaled, and sl_picture reports it with unscaled set. next advances on
	// a grid of gap, so 25 fps thinned to 10 gives 10, not 8.3.
	int64_t gap, next;
	int have_next;
	int unscaled;
	// Filled by sl_decode on failure: which call failed and why.
	const char *failed;
	char errbuf[AV_ERROR_MAX_STRING_SIZE];
} sl_decoder;

static void sl_close(sl_decoder *d) {
	if (!d) return;
	avcodec_free_context(&d->ctx);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	sws_freeContext(d->sws);
	av_buffer_unref(&d->buf);
	av_free(d);
}

static int sl_fail(sl_decoder *d, const char *what, int err) {
	d->failed = what;
	av_strerror(err, d->errbuf, sizeof d->errbuf);
	return err < 0 ? err : AVERROR_UNKNOWN;
}

static sl_decoder *sl_open(int dst_w, int dst_h, const char **failed) {
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	if (!codec) {
		*failed = "no H.264 decoder in this libavcodec";
		return NULL;
	}
	sl_decoder *d = av_mallocz(sizeof *d);
	if (!d) {
		*failed = "allocating the decoder";
		return NULL;
	}
	d->dst_w = dst_w;
	d->dst_h = dst_h;
	d->ctx = avcodec_alloc_context3(codec);
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	if (!d->ctx || !d->pkt || !d->frame) {
		*failed = "allocating the codec context, packet or frame";
		sl_close(d);
		return NULL;
	}
	// One thread: a worker runs one decoder per camera, so cameras, not
	// slices or frames, are the unit of parallelism, and one camera costs a
	// predictable share of one core. Frame threading would also add a
	// picture of delay per thread.
	d->ctx->thread_count = 1;
	// Packets carry microseconds; the picture's timestamp comes back in the
	// same unit.
	d->ctx->pkt_timebase = (AVRational){1, 1000000};
	int err = avcodec_open2(d->ctx, codec, NULL);
	if (err < 0) {
		*failed = "avcodec_open2";
		sl_close(d);
		return NULL;
	}
	return d;
}

// sl_reserve makes d->buf a writable buffer of at least size bytes plus the
// zeroed padding libavcodec's bitstream reader may read past the end.
static int sl_reserve(sl_decoder *d, int size) {
	int need = size + AV_INPUT_BUFFER_PADDING_SIZE;
	if (d->buf && av_buffer_is_writable(d->buf) && d->buf->size >= (size_t)need)
		return 0;
	if (d->buf && !av_buffer_is_writable(d->buf))
		av_buffer_unref(&d->buf); // libavcodec still holds it: leave it that copy
	// Grow geometrically so a stream of slowly growing keyframes does not
	// reallocate every time.
	int alloc = need;
	if (d->buf && (size_t)alloc < 2 * d->buf->size)
		alloc = 2 * d->buf->size;
	int err = av_buffer_realloc(&d->buf, alloc);
	if (err < 0)
		return sl_fail(d, "allocating the packet buffer", err);
	return 0;
}

// sl_picture takes one decoded picture and scales it into the I420 planes
// at dst. It returns 1 for a picture, 0 when the decoder has none ready.
static int sl_picture(sl_decoder *d, uint8_t *dst) {
	int err = avcodec_receive_frame(d->ctx, d->frame);
	if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
		return 0;
	if (err < 0)
		return sl_fail(d, "avcodec_receive_frame", err);
	AVFrame *f = d->frame;
	if (f->width <= 0 || f->height <= 0 || f->format < 0 || !f->data[0]) {
		av_frame_unref(f);
		return sl_fail(d, "decoded picture without size or format", AVERROR_INVALIDDATA);
	}
	d->unscaled = 0;
	if (d->gap > 0) {
		int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
		// A PTS that goes back (a reconnected stream) starts the grid again.
		if (d->have_next && pts < d->next && pts > d->next - 2 * d->gap) {
			d->pts = pts;
			d->corrupt = f->decode_error_flags != 0 || (f->flags & AV_FRAME_FLAG_CORRUPT) != 0;
			d->unscaled = 1;
			av_frame_unref(f);
			return 1;
		}
		if (d->have_next && pts >= d->next && pts < d->next + d->gap)
			d->next += d->gap;
		else // the first picture, a gap in the stream or a PTS gone back
			d->next = pts + d->gap;
		d->have_next = 1;
	}
	// Cached: re-created only when the source size or pixel format changes
	// (a camera that reconnects with another resolution). Bilinear rather
	// than fast bilinear: when shrinking, SWS_BILINEAR widens its filter to
	// cover every source pixel, where SWS_FAST_BILINEAR samples only the two
	// nearest ones and aliases fine texture into shimmer that background
	// subtraction takes for motion. BenchmarkDecode shows no cost difference
	// above the noise at 320x180 or 640x360 from 640x352.
	d->sws = sws_getCachedContext(d->sws, f->width, f->height, f->format,
		d->dst_w, d->dst_h, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
	if (!d->sws) {
		av_frame_unref(f);
		return sl_fail(d, "sws_getCachedContext for this picture format", AVERROR(EINVAL));
	}
	int yn = d->dst_w * d->dst_h, cn = (d->dst_w / 2) * (d->dst_h / 2);
	uint8_t *planes[4] = {dst, dst + yn, dst + yn + cn, NULL};
	int strides[4] = {d->dst_w, d->dst_w / 2, d->dst_w / 2, 0};
	// The source is read through its own line strides, which are wider
	// than the picture (alignment padding).
	int h = sws_scale(d->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, planes, strides);
	d->pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
	d->corrupt = f->decode_error_flags != 0 || (f->flags & AV_FRAME_FLAG_CORRUPT) != 0;
	av_frame_unref(f);
	if (h != d->dst_h)
		return sl_fail(d, "sws_scale", h < 0 ? h : AVERROR_BUG);
	return 1;
}

// sl_decode feeds the size bytes already in d->buf and scales at most one
// picture into dst. It returns 1 when a picture came out, 0 when none did,
// and a negative AVERROR on failure; with d->got set, a picture came out
// even though the packet failed.
static int sl_decode(sl_decoder *d, int size, int64_t pts, uint8_t *dst) {
	int *got = &d->got;
	*got = 0;
	memset(d->buf->data + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	// The packet borrows our reference; avcodec_send_packet takes its own.
	AVPacket *pkt = d->pkt;
	pkt->buf = d->buf;
	pkt->data = d->buf->data;
	pkt->size = size;
	pkt->pts = pts;
	pkt->dts = AV_NOPTS_VALUE;
	int err = avcodec_send_packet(d->ctx, pkt);
	if (err == AVERROR(EAGAIN)) {
		// A picture is still waiting to be taken: take it, then the
		// decoder accepts the packet. The next call collects any picture
		// this packet completes.
		int r = sl_picture(d, dst);
		if (r < 0) {
			pkt->buf = NULL;
			pkt->data = NULL;
			pkt->size = 0;
			return r;
		}
		*got = r;
		err = avcodec_send_packet(d->ctx, pkt);
	}
	pkt->buf = NULL;
	pkt->data = NULL;
	pkt->size = 0;
	if (err < 0)
		return sl_fail(d, "avcodec_send_packet", err);
	if (*got)
		return 1;
	int r = sl_picture(d, dst);
	if (r > 0)
		*got = 1;
	return r;
}

// sl_drain signals the end of the stream on its first call and scales the
// next picture the decoder still holds into dst: 1 for a picture, 0 when
// none is left (the decoder is then reset for a new stream), a negative
// AVERROR on failure.
static int sl_drain(sl_decoder *d, uint8_t *dst) {
	if (!d->draining) {
		int err = avcodec_send_packet(d->ctx, NULL);
		if (err < 0 && err != AVERROR_EOF)
			return sl_fail(d, "avcodec_send_packet (end of stream)", err);
		d->draining = 1;
	}
	int r = sl_picture(d, dst);
	if (r == 0) {
		avcodec_flush_buffers(d->ctx);
		d->draining = 0;
	}
	return r;
}

static void sl_quiet(void) {
	av_log_set_level(AV_LOG_FATAL);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// maxAccessUnit bounds one access unit: far above any real H.264 picture at
// the resolutions cameras send, low enough that garbage cannot make us
// allocate without bound (and fits a C int).
const maxAccessUnit = 64 << 20

// DecoderStats are a decoder's counters since it was created.
type DecoderStats struct {
	// Decoded counts the pictures that came out.
	Decoded uint64
	// Unscaled counts the decoded pictures above the analysis rate
	// (SetRate), neither scaled nor handed out.
	Unscaled uint64
	// Errors counts the calls to Decode that failed.
	Errors uint64
	// Concealed counts pictures that came out with decoding errors hidden
	// by error concealment (damaged, but usable for motion).
	Concealed uint64
}

// Decoder turns H.264 access units into I420 frames at the detection size,
// decoding with libavcodec and scaling once with libswscale. It is not safe
// for concurrent use, except Stats, which any goroutine may call.
type Decoder struct {
	c             *C.sl_decoder
	width, height int
	decoded       atomic.Uint64
	unscaled      atomic.Uint64
	errors        atomic.Uint64
	concealed     atomic.Uint64
}

var quietFFmpeg sync.Once

// NewDecoder decodes H.264 and scales every picture once, straight to
// width x height (even numbers) in I420.
func NewDecoder(width, height int) (*Decoder, error) {
	if width <= 0 || height <= 0 || width%2 != 0 || height%2 != 0 || width > 8192 || height > 8192 {
		return nil, fmt.Errorf("decoder: output size %dx%d: want even numbers from 2 to 8192", width, height)
	}
	// libavcodec logs every damaged macroblock to stderr; with dozens of
	// cameras on a bad link that floods the log behind slog's back. The
	// errors reach the caller through Decode and the counters instead.
	quietFFmpeg.Do(func() { C.sl_quiet() })
	var failed *C.char
	c := C.sl_open(C.int(width), C.int(height), &failed)
	if c == nil {
		return nil, fmt.Errorf("decoder: opening libavcodec's H.264 decoder: %s", C.GoString(failed))
	}
	return &Decoder{c: c, width: width, height: height}, nil
}

var startCode = [4]byte{0, 0, 0, 1}

var errDecoderClosed = errors.New("decoder: closed")

// Decode feeds one access unit (NAL units without start codes) with its PTS.
// The stream's SPS and PPS must reach the decoder before its first IDR (Source
// prepends them to IDR access units). Pictures may come out later than they
// were fed (B-frame reordering); when one comes out it is written into dst
// (sized to the decoder's output, PTS from the picture, Seq counting the
// pictures, Time zeroed for the caller to fill) and ok is true.
//
// Corrupt input returns an error, or a picture repaired by error concealment
// (counted in Stats().Concealed); either way the decoder stays usable and is
// clean again from the next IDR. Rarely both ok and err are set: a waiting
// picture came out but the new access unit was rejected.
func (d *Decoder) Decode(nalus [][]byte, pts time.Duration, dst *Frame) (ok bool, err error) {
	if d.c == nil {
		return false, errDecoderClosed
	}
	size := 0
	for _, n := range nalus {
		if len(n) > 0 {
			size += 4 + len(n)
		}
	}
	if size == 0 {
		// An empty packet would tell libavcodec the stream ended.
		return false, nil
	}
	if size > maxAccessUnit {
		d.errors.Add(1)
		return false, fmt.Errorf("decoder: access unit of %d bytes is larger than %d", size, maxAccessUnit)
	}
	if C.sl_reserve(d.c, C.int(size)) < 0 {
		d.errors.Add(1)
		return false, d.cError()
	}
	buf := unsafe.Slice((*byte)(unsafe.Pointer(d.c.buf.data)), size)
	at := 0
	for _, n := range nalus {
		if len(n) == 0 {
			continue
		}
		at += copy(buf[at:], startCode[:])
		at += copy(buf[at:], n)
	}

	dst.Reset(d.width, d.height)
	r := C.sl_decode(d.c, C.int(size), C.int64_t(pts/time.Microsecond), (*C.uint8_t)(unsafe.Pointer(&dst.Data[0])))
	if d.c.got != 0 {
		d.fill(dst)
		ok = d.c.unscaled == 0
	}
	if r < 0 {
		d.errors.Add(1)
		return ok, d.cError()
	}
	return ok, nil
}

// Drain takes, one a call, the pictures the decoder still holds back at
// the end of a stream (B-frame reordering keeps up to a few): ok is false
// when none is left, and the decoder then takes a new stream from its
// next IDR. A file's last pictures are lost without it; a live stream
// never ends, so only replay needs it.
func (d *Decoder) Drain(dst *Frame) (ok bool, err error) {
	if d.c == nil {
		return false, errDecoderClosed
	}
	dst.Reset(d.width, d.height)
	r := C.sl_drain(d.c, (*C.uint8_t)(unsafe.Pointer(&dst.Data[0])))
	if r < 0 {
		d.errors.Add(1)
		return false, d.cError()
	}
	if r == 0 {
		return false, nil
	}
	d.fill(dst)
	if d.c.unscaled != 0 {
		// Above the analysis rate: the caller asks again for the next one.
		return d.Drain(dst)
	}
	return true, nil
}

func (d *Decoder) fill(dst *Frame) {
	dst.PTS = time.Duration(d.c.pts) * time.Microsecond
	dst.Seq = d.decoded.Add(1)
	if d.c.unscaled != 0 {
		d.unscaled.Add(1)
	}
	dst.Time = time.Time{}
	dst.Arrived = time.Time{}
	if d.c.corrupt != 0 {
		d.concealed.Add(1)
	}
}

func (d *Decoder) cError() error {
	return fmt.Errorf("decoder: %s: %s", C.GoString(d.c.failed), C.GoString(&d.c.errbuf[0]))
}

// SetRate limits the pictures scaled into frames to fps a second of PTS
// (0: every picture). The others are still decoded, since later pictures
// reference them, and counted in Stats().Unscaled, but Decode reports
// them with ok false, so they cost no scaling and no analysis. Call it
// before the first Decode.
func (d *Decoder) SetRate(fps float64) {
	if d.c == nil {
		return
	}
	d.c.gap = 0
	if fps > 0 {
		d.c.gap = C.int64_t(float64(time.Second/time.Microsecond) / fps)
	}
	d.c.have_next = 0
}

// Stats returns the counters; safe to call from any goroutine.
func (d *Decoder) Stats() DecoderStats {
	return DecoderStats{
		Decoded:   d.decoded.Load(),
		Unscaled:  d.unscaled.Load(),
		Errors:    d.errors.Load(),
		Concealed: d.concealed.Load(),
	}
}

// Close frees the decoder's C memory. Decode fails after Close; calling
// Close again does nothing.
func (d *Decoder) Close() {
	if d.c != nil {
		C.sl_close(d.c)
		d.c = nil
	}
}
