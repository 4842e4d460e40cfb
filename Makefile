# From the repository root: `make -j8 SHARDS=8 MODEL=m.onnx IMAGES=dir/` is the sharded
# extraction of examples/at-scale (its Makefile lists the variables); `make <study>` runs one
# of the studies (examples/<study>/Makefile). Relative paths are relative to this folder.
STUDIES := multifaceted-neurons concept-venn affine-equivalence network-dissection microscope

at-scale:
	@$(MAKE) -s -f examples/at-scale/Makefile

$(STUDIES):
	@$(MAKE) -s -f examples/$@/Makefile

.PHONY: at-scale $(STUDIES)
