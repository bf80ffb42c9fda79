"""The reference case platform (网格化服务管理信息平台) that gridsim's replay can drive."""
