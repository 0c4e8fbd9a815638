/*
 * mlp.c - the decision network: the model.bin header rules and the forward
 * pass of docs/MODEL-FORMAT.md, bit for bit.
 *
 * Loading is split so nothing is allocated before the header is known to be
 * sound: mlp_header_size() looks at the fixed 32 bytes (magic, version,
 * layer count, header size), mlp_parse_header() checks every rule of the
 * layer table against the file's size and computes where each layer's
 * weights and biases live in the payload; only then does the caller
 * allocate param_count floats, fill them, and call mlp_check_params()
 * (every value finite). The forward pass reads only inside those offsets.
 *
 * Arithmetic: f32 multiply and add as separate roundings (the Makefile has
 * -ffp-contract=off, so clang never fuses them), ReLU maps NaN and -0 to
 * +0, the softmax and confidence are computed in binary64 with exp_ref,
 * whose polynomial and range reduction are spelled out in the format doc so
 * the TypeScript reference gives the same bits.
 */
#include "../defs.h"
#include "../fs/ext4.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

int mlp_header_size(const uint8_t *b, const char **why)
{
    if (memcmp(b, "SISM", 4) != 0) {
        *why = "bad magic (not a SISM model)";
        return -EINVAL;
    }
    if (rd16(b + 4) != 1) {
        *why = "unknown format version";
        return -EINVAL;
    }
    uint16_t layers = rd16(b + 12);
    if (layers < 1 || layers > MLP_MAX_LAYERS) {
        *why = "num_layers out of range 1..8";
        return -EINVAL;
    }
    if (rd16(b + 6) != 32 + 8 * layers) {
        *why = "header_size is not 32 + 8 * num_layers";
        return -EINVAL;
    }
    return 32 + 8 * layers;
}

int mlp_parse_header(const uint8_t *b, size_t len, uint64_t file_size, struct mlp_header *h,
                     const char **why)
{
    int hs = mlp_header_size(b, why);
    if (hs < 0)
        return hs;
    if (len < (size_t)hs) {
        *why = "file shorter than its header";
        return -EINVAL;
    }
    if (rd32(b + 8) != 0) {
        *why = "unknown flags";
        return -EINVAL;
    }
    for (int i = 24; i < 32; i++)
        if (b[i]) {
            *why = "reserved header bytes are not zero";
            return -EINVAL;
        }
    memset(h, 0, sizeof(*h));
    h->header_size = (uint16_t)hs;
    h->num_layers = rd16(b + 12);
    h->input_dim = rd16(b + 14);
    h->param_count = rd32(b + 16);
    h->payload_bytes = rd32(b + 20);
    if (h->input_dim < 1 || h->input_dim > MLP_MAX_DIM) {
        *why = "input_dim out of range 1..1024";
        return -EINVAL;
    }
    uint64_t params = 0;
    uint32_t prev = h->input_dim;
    for (uint32_t k = 0; k < h->num_layers; k++) {
        const uint8_t *e = b + 32 + 8 * k;
        struct mlp_layer *l = &h->layer[k];
        l->in = rd16(e);
        l->out = rd16(e + 2);
        l->act = e[4];
        if (e[5] || e[6] || e[7]) {
            *why = "reserved layer bytes are not zero";
            return -EINVAL;
        }
        if (l->in < 1 || l->in > MLP_MAX_DIM || l->out < 1 || l->out > MLP_MAX_DIM) {
            *why = "layer size out of range 1..1024";
            return -EINVAL;
        }
        if (l->in != prev) {
            *why = "layer chain inconsistent (in != previous out)";
            return -EINVAL;
        }
        if (l->act > MLP_SOFTMAX) {
            *why = "unknown activation";
            return -EINVAL;
        }
        if ((l->act == MLP_SOFTMAX) != (k + 1 == h->num_layers)) {
            *why = k + 1 == h->num_layers ? "last layer is not softmax" : "softmax before the last layer";
            return -EINVAL;
        }
        l->woff = (uint32_t)params;
        params += (uint64_t)l->out * l->in;
        l->boff = (uint32_t)params;
        params += l->out;
        l->aoff = h->units;
        h->units += l->out;
        if (l->out > h->max_width)
            h->max_width = l->out;
        prev = l->out;
    }
    if (params != h->param_count) {
        *why = "param_count does not match the layer table";
        return -EINVAL;
    }
    if ((uint64_t)h->payload_bytes != 4 * params) {
        *why = "payload_bytes is not 4 * param_count";
        return -EINVAL;
    }
    if (file_size != (uint64_t)hs + h->payload_bytes) {
        *why = file_size < (uint64_t)hs + h->payload_bytes ? "file is truncated (shorter than header + payload)"
                                                          : "file is longer than header + payload";
        return -EINVAL;
    }
    h->output_dim = h->layer[h->num_layers - 1].out;
    return 0;
}

static bool finite_bits(uint32_t u)
{
    return ((u >> 23) & 0xff) != 0xff;
}

int mlp_check_params(const struct mlp_header *h, const float *params, const char **why)
{
    for (uint32_t i = 0; i < h->param_count; i++) {
        uint32_t u;
        memcpy(&u, &params[i], 4);
        if (!finite_bits(u)) {
            *why = "a weight or bias is not finite";
            return -EINVAL;
        }
    }
    return 0;
}

/* floor() for binary64 in the range exp_ref needs (|x| < 2^52). */
static double floor_d(double x)
{
    double t = (double)(int64_t)x;      /* truncates toward zero */
    return t > x ? t - 1.0 : t;
}

double exp_ref(double x)
{
    if (!(x >= -708.0))
        return x != x ? x : 0.0;       /* NaN stays NaN; below -708 underflows to 0 */
    double k = floor_d(x * 1.4426950408889634 + 0.5);
    double r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10;
    static double c[12];
    if (c[0] == 0.0) {                  /* once: c_n = the binary64 quotient 1 / n! */
        double fact = 1.0;
        for (int n = 0; n <= 11; n++) {
            if (n)
                fact *= (double)n;      /* n! is exact in binary64 up to 22! */
            c[n] = 1.0 / fact;
        }
    }
    double p = c[11];
    for (int n = 10; n >= 0; n--)
        p = p * r + c[n];
    int64_t ki = (int64_t)k;
    uint64_t bits = (uint64_t)(ki + 1023) << 52;   /* k in -1022..0 for x in -708..0 */
    double two_k;
    memcpy(&two_k, &bits, 8);
    return p * two_k;
}

void mlp_forward(const struct mlp_header *h, const float *params, const float *x, float *acts,
                 struct mlp_result *r)
{
    const float *in = x;
    for (uint32_t k = 0; k < h->num_layers; k++) {
        const struct mlp_layer *l = &h->layer[k];
        const float *w = params + l->woff, *b = params + l->boff;
        float *y = acts + l->aoff;
        for (uint32_t o = 0; o < l->out; o++) {
            float acc = b[o];
            const float *row = w + (size_t)o * l->in;
            for (uint32_t i = 0; i < l->in; i++) {
                float prod = row[i] * in[i];
                acc = acc + prod;
            }
            if (l->act == MLP_RELU)
                acc = acc > 0.0f ? acc : 0.0f;
            y[o] = acc;
        }
        in = y;
    }
    const float *z = in;
    uint32_t n = h->output_dim, best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (z[i] > z[best])
            best = i;
    double m = (double)z[best], s = 0.0, eb = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        double e = exp_ref((double)z[i] - m);
        s += e;
        if (i == best)
            eb = e;
    }
    double p = eb / s;
    double c = floor_d(p * 1000.0);
    r->logits = z;
    r->action = best;
    r->confidence = !(c >= 0.0) ? 0 : c > 1000.0 ? 1000 : (uint32_t)c;
}
