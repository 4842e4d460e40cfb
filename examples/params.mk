# Parameter stamps for the study Makefiles. Make rebuilds by file times only, so a rule whose
# recipe uses MODEL or LAYERS would keep a result made with other values. A rule that lists
# $(call params,NAME,VALUES) among its prerequisites depends on the file $(OUT)/.params/NAME,
# which holds VALUES and is rewritten (made newer) only when they differ from the last run:
# change a variable and exactly the rules that use it run again.
# Paths: run a study from anywhere with its run.sh (or make -f examples/<study>/Makefile);
# relative paths in variables are then relative to where you ran it.
sq = $(subst ','"'"',$(1))
params = $(shell f='$(OUT)/.params/$(1)'; v='$(call sq,$(strip $(2)))'; mkdir -p '$(OUT)/.params' && { [ -f "$$f" ] && [ "$$(cat "$$f")" = "$$v" ] || printf '%s\n' "$$v" > "$$f"; } && printf '%s' "$$f")
# Prerequisites without the stamps (for recipes that pass $^ on).
inputs = $(filter-out $(OUT)/.params/%,$^)
