package detect

/*
#cgo pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include <stdlib.h>
#include "forward.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"gocv.io/x/gocv"
)

// forwarder runs a network forward to several output layers into Mats it
// owns and reuses. It replaces gocv v0.31.0's Net.ForwardLayers, which
// leaks about 130 bytes a call (110 MB a day for a camera at ten
// inferences a second); one Forward per layer would not leak but costs 2.6
// times as much, as OpenCV re-plans the network whenever the requested
// outputs change. Its C arrays are allocated once.
type forwarder struct {
	n     int
	names **C.char        // n C strings
	ptrs  *unsafe.Pointer // n cv::Mat pointers, those of outs
	outs  []gocv.Mat
}

func newForwarder(names []string) *forwarder {
	f := &forwarder{n: len(names), outs: make([]gocv.Mat, len(names))}
	size := C.size_t(len(names)) * C.size_t(unsafe.Sizeof(uintptr(0)))
	f.names = (**C.char)(C.malloc(size))
	f.ptrs = (*unsafe.Pointer)(C.malloc(size))
	cn := unsafe.Slice(f.names, f.n)
	cp := unsafe.Slice(f.ptrs, f.n)
	for i, name := range names {
		cn[i] = C.CString(name)
		f.outs[i] = gocv.NewMat()
		cp[i] = unsafe.Pointer(f.outs[i].Ptr())
	}
	return f
}

// forward fills the outputs; they stay valid until the next call.
func (f *forwarder) forward(net *gocv.Net) ([]gocv.Mat, error) {
	// gocv.Net holds only the C++ Net pointer (gocv v0.31.0, pinned in
	// go.mod): read it directly.
	netPtr := *(*unsafe.Pointer)(unsafe.Pointer(net))
	switch rc := C.stopline_forward(netPtr, f.names, C.int(f.n), f.ptrs); rc {
	case 0:
		return f.outs, nil
	case -1:
		return nil, fmt.Errorf("forward: the network gave a different number of outputs than the %d asked for", f.n)
	default:
		return nil, fmt.Errorf("forward: OpenCV raised an exception")
	}
}

func (f *forwarder) close() {
	for _, n := range unsafe.Slice(f.names, f.n) {
		C.free(unsafe.Pointer(n))
	}
	C.free(unsafe.Pointer(f.names))
	C.free(unsafe.Pointer(f.ptrs))
	for i := range f.outs {
		f.outs[i].Close()
	}
}
