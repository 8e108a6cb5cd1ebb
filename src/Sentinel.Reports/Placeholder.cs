namespace Sentinel.Reports;
