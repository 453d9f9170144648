// forward.cpp runs a network forward to several named outputs without the
// allocations gocv v0.31.0's Net_ForwardLayers leaks (its C copies of the
// names and the array carrying the outputs are never freed).
#include <opencv2/dnn.hpp>
#include "forward.h"

extern "C" int stopline_forward(void* net, const char** names, int n, void** outs) {
    try {
        cv::dnn::Net* nt = static_cast<cv::dnn::Net*>(net);
        std::vector<cv::String> ns(names, names + n);
        std::vector<cv::Mat> blobs;
        nt->forward(blobs, ns);
        if ((int)blobs.size() != n) {
            return -1;
        }
        for (int i = 0; i < n; ++i) {
            // The outputs are the caller's Mats: assigning shares the
            // blob's data, nothing is allocated for the caller to free.
            *static_cast<cv::Mat*>(outs[i]) = blobs[i];
        }
        return 0;
    } catch (const std::exception&) {
        return -2;
    }
}
