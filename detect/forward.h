#ifdef __cplusplus
extern "C" {
#endif
int stopline_forward(void* net, const char** names, int n, void** outs);
#ifdef __cplusplus
}
#endif
