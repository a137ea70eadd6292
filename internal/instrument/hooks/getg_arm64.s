#include "textflag.h"

// func getgWord(off uintptr) uint64
TEXT ·getgWord(SB),NOSPLIT,$0-16
	MOVD off+0(FP), R1
	MOVD g, R0
	ADD R1, R0
	MOVD (R0), R0
	MOVD R0, ret+8(FP)
	RET
