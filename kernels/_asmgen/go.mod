module github.com/facegate/facegate/kernels/_asmgen

go 1.26
