"""Reports for planners and funders: the five published figures beside the call figures."""
