/* An independent C implementation of docs/MODEL-FORMAT.md's forward pass, exp_ref and
 * confidence, compiled for the host with -ffp-contract=off: the models tests compare its output
 * with the TypeScript reference bit for bit, as the kernel's will be.
 *
 * usage: forward_ref model.bin golden.bin
 * prints one line per golden input: action confidence logit-bits... activation-hash
 * (the hash is FNV-1a 32 over the little-endian bytes of every layer's outputs, in order). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *slurp(const char *path, size_t *len) {
	FILE *f = fopen(path, "rb");
	if (!f) { perror(path); exit(2); }
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n ? n : 1);
	if (fread(b, 1, n, f) != (size_t)n) { perror(path); exit(2); }
	fclose(f);
	*len = n;
	return b;
}

static uint16_t u16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t u32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static float f32(const uint8_t *p) { uint32_t v = u32(p); float f; memcpy(&f, &v, 4); return f; }
static uint32_t bits(float f) { uint32_t v; memcpy(&v, &f, 4); return v; }

static double pow2i(int k) {
	uint64_t v = (uint64_t)(k + 1023) << 52;
	double d;
	memcpy(&d, &v, 8);
	return d;
}

static double exp_ref(double x) {
	static double c[12];
	if (c[0] == 0) {
		double fact = 1;
		for (int n = 0; n <= 11; n++) {
			if (n > 0) fact *= n;
			c[n] = 1.0 / fact;
		}
	}
	if (x < -708) return 0;
	double k = floor(x * 1.4426950408889634 + 0.5);
	double r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10;
	double p = c[11];
	for (int n = 10; n >= 0; n--) p = p * r + c[n];
	return p * pow2i((int)k);
}

int main(int argc, char **argv) {
	if (argc != 3) { fprintf(stderr, "usage: forward_ref model.bin golden.bin\n"); return 2; }
	size_t mlen, glen;
	uint8_t *m = slurp(argv[1], &mlen), *g = slurp(argv[2], &glen);
	int L = u16(m + 12), hs = u16(m + 6);
	int in[8], out[8], act[8];
	const uint8_t *w[8];
	const uint8_t *p = m + hs;
	int maxw = 0;
	for (int k = 0; k < L; k++) {
		in[k] = u16(m + 32 + 8 * k);
		out[k] = u16(m + 34 + 8 * k);
		act[k] = m[36 + 8 * k];
		w[k] = p;
		p += 4 * (in[k] * out[k] + out[k]);
		if (out[k] > maxw) maxw = out[k];
		if (in[k] > maxw) maxw = in[k];
	}
	if ((size_t)(p - m) != mlen) { fprintf(stderr, "model size\n"); return 2; }
	int dim = u16(g + 6);
	uint32_t count = u32(g + 12);
	float *x = malloc(4 * maxw), *y = malloc(4 * maxw);
	for (uint32_t n = 0; n < count; n++) {
		const uint8_t *rec = g + 16 + n * (4 * dim + 4);
		for (int i = 0; i < dim; i++) x[i] = f32(rec + 4 * i);
		uint32_t h = 2166136261u;
		for (int k = 0; k < L; k++) {
			const uint8_t *W = w[k], *B = w[k] + 4 * in[k] * out[k];
			for (int o = 0; o < out[k]; o++) {
				float acc = f32(B + 4 * o);
				for (int i = 0; i < in[k]; i++) {
					float prod = f32(W + 4 * (o * in[k] + i)) * x[i];
					acc = acc + prod;
				}
				if (act[k] == 1) acc = acc > 0 ? acc : 0.0f;
				y[o] = acc;
				uint32_t v = bits(acc);
				for (int b = 0; b < 4; b++) { h ^= (v >> (8 * b)) & 0xff; h *= 16777619u; }
			}
			memcpy(x, y, 4 * out[k]);
		}
		int no = out[L - 1], best = 0;
		for (int i = 1; i < no; i++) if (x[i] > x[best]) best = i;
		int finite = 1;
		for (int i = 0; i < no; i++) if (!isfinite(x[i])) finite = 0;
		int conf = 0;
		if (finite) {
			double mx = x[best], s = 0, e[1024];
			for (int i = 0; i < no; i++) { e[i] = exp_ref((double)x[i] - mx); s += e[i]; }
			double pa = e[best] / s;
			double c = floor(pa * 1000);
			conf = c > 1000 ? 1000 : (int)c;
		}
		printf("%d %d", best, conf);
		for (int i = 0; i < no; i++) printf(" %08x", bits(x[i]));
		printf(" %08x\n", h);
	}
	return 0;
}
