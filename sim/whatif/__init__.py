"""What if: the standard counterfactuals (`standard`), a branch from any hour (`branch`), saved
branches (`branch_file`) and two futures compared (`futures`)."""
